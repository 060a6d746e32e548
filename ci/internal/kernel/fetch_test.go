package kernel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeTools puts apt-get, apt-cache and dpkg stand-ins first in PATH. They
// serve one archive with a linux-image-cloud-amd64 metapackage (unless
// noMeta) and log their arguments to <dir>/log.
func fakeTools(t *testing.T, noMeta bool) (dir string) {
	t.Helper()
	dir = t.TempDir()
	bin := filepath.Join(dir, "bin")
	tree := filepath.Join(dir, "tree")
	rel := "6.1.0-56-cloud-amd64"
	mods := filepath.Join(tree, "lib/modules", rel, "kernel")
	for _, d := range []string{bin, filepath.Join(tree, "boot"), filepath.Join(mods, "arch/x86/kvm"), filepath.Join(mods, "virt/lib")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string][]byte{
		filepath.Join(tree, "boot", "vmlinuz-"+rel):    []byte("bzImage"),
		filepath.Join(tree, "boot", "config-"+rel):     []byte("CONFIG_KVM=m"),
		filepath.Join(mods, "arch/x86/kvm/kvm.ko"):     elfWithModinfo("depends=irqbypass", "name=kvm"),
		filepath.Join(mods, "arch/x86/kvm/kvm-amd.ko"): elfWithModinfo("depends=kvm", "name=kvm_amd"),
		filepath.Join(mods, "virt/lib/irqbypass.ko"):   elfWithModinfo("depends=", "name=irqbypass"),
		filepath.Join(mods, "drivers_big.ko"):          elfWithModinfo("depends=", "name=drivers_big"),
	}
	for p, data := range files {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	meta := `
  linux-image-cloud-amd64)
    printf 'Package: linux-image-cloud-amd64\nVersion: 6.1.192-2\nDepends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)\n\n' ;;`
	if noMeta {
		meta = ""
	}
	scripts := map[string]string{
		"apt-get": `#!/bin/sh
echo "apt-get $*" >> "` + dir + `/log"
for a in "$@"; do case "$a" in Dir::State::Lists=*) lists="${a#Dir::State::Lists=}";; esac; done
for a in "$@"; do
  case "$a" in
  update) if [ "$FAKE_APT_UPDATE" = fail ]; then
      echo "W: GPG error: http://deb.example/debian bookworm InRelease: The following signatures couldn't be verified" >&2
      echo "E: The repository 'http://deb.example/debian bookworm InRelease' is not signed." >&2
      exit 100
    fi
    touch "$lists/deb.example_debian_dists_bookworm_main_binary-amd64_Packages"; exit 0;;
  download) shift_next=1; echo "download in a directory of uid $(stat -c %u .)" >> "` + dir + `/log";;
  *=*) if [ -n "$shift_next" ]; then
         case "$a" in linux-image-6.1.0-56-cloud-amd64-unsigned=6.1.192-2) ;; *) echo "E: Can't find $a" >&2; exit 100;; esac
         echo deb > "${a%%=*}_6.1.192-2_amd64.deb"; exit 0
       fi;;
  esac
done
exit 0
`,
		"apt-cache": `#!/bin/sh
# Like apt-cache show: every named package's stanza, and status 100 if one
# is unknown.
echo "apt-cache $*" >> "` + dir + `/log"
case "$*" in
*pkgnames*) printf 'linux-image-6.1.0-50-cloud-amd64\nlinux-image-6.1.0-56-cloud-amd64\nlinux-image-6.1.0-56-cloud-amd64-unsigned\nlinux-image-6.12.41+deb12-cloud-amd64\n'; exit 0;;
esac
status=0; skip=""
for a in "$@"; do
  if [ -n "$skip" ]; then skip=""; continue; fi
  case "$a" in
  -o) skip=1 ;;
  -*|show) ;;` + meta + `
  linux-image-6.1.0-56-cloud-amd64-unsigned)
    printf 'Package: linux-image-6.1.0-56-cloud-amd64-unsigned\nVersion: 6.1.192-2\n\n' ;;
  linux-image-6.1.0-56-cloud-amd64)
    printf 'Package: linux-image-6.1.0-56-cloud-amd64\nVersion: 6.1.192-2\n\n' ;;
  *) echo "N: Unable to locate package $a" >&2; status=100 ;;
  esac
done
[ $status = 0 ] || echo "E: No packages found" >&2
exit $status
`,
		"dpkg": `#!/bin/sh
echo "dpkg $*" >> "` + dir + `/log"
[ "$1" = "-x" ] || exit 2
mkdir -p "$3" && cp -r "` + tree + `"/. "$3"/
`,
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func TestFetchWithFakeApt(t *testing.T) {
	for _, noMeta := range []bool{false, true} {
		dir := fakeTools(t, noMeta)
		cache := filepath.Join(dir, "cache")
		var logs []string
		d := &Debian{Cache: cache, HostCodename: "bookworm",
			Sources: []Source{{URI: "http://deb.example/debian", Suite: "bookworm"}},
			Logf:    func(f string, a ...any) { logs = append(logs, f) }, Backoff: time.Millisecond}
		k, err := d.Fetch(context.Background(), arch(t, "amd64"), "bookworm", "")
		if err != nil {
			t.Fatalf("noMeta=%v: %v", noMeta, err)
		}
		if k.Package != "linux-image-6.1.0-56-cloud-amd64-unsigned" || k.Version != "6.1.192-2" || k.Release != "6.1.0-56-cloud-amd64" {
			t.Fatalf("kernel %+v", k)
		}
		var names []string
		for _, m := range k.Modules {
			names = append(names, m.Name)
			if !strings.HasPrefix(m.Path, cache) {
				t.Errorf("module outside the cache: %s", m.Path)
			}
		}
		if strings.Join(names, " ") != "irqbypass kvm kvm_amd" {
			t.Fatalf("modules %v", names)
		}
		// Only the image and the KVM modules are kept.
		if _, err := os.Stat(filepath.Join(filepath.Dir(k.Image), "modules", "drivers_big.ko")); !os.IsNotExist(err) {
			t.Error("unneeded module cached")
		}
		leftovers, _ := filepath.Glob(filepath.Join(cache, "kernels", "amd64", ".fetch-*"))
		if len(leftovers) != 0 {
			t.Errorf("temporary files left: %v", leftovers)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		for _, want := range []string{"APT::Architecture=amd64", "Dir::State::status=/dev/null", "Dir::Cache::pkgcache=pkgcache.bin", "Dir::Etc::sourcelist=", "download linux-image-6.1.0-56-cloud-amd64-unsigned=6.1.192-2", "dpkg -x"} {
			if !strings.Contains(string(log), want) {
				t.Errorf("tools not called with %q:\n%s", want, log)
			}
		}
		src, _ := os.ReadFile(filepath.Join(cache, "apt", "bookworm-amd64", "sources.list"))
		if string(src) != "deb http://deb.example/debian bookworm main\n" {
			t.Errorf("sources.list = %q", src)
		}

		// Second fetch, by another process (a Debian of its own): lists
		// are fresh and the kernel is cached.
		os.Remove(filepath.Join(dir, "log"))
		d = &Debian{Cache: cache, HostCodename: "bookworm", Sources: d.Sources, Backoff: time.Millisecond}
		if _, err := d.Fetch(context.Background(), arch(t, "amd64"), "bookworm", ""); err != nil {
			t.Fatal(err)
		}
		log, _ = os.ReadFile(filepath.Join(dir, "log"))
		if strings.Contains(string(log), "update") || strings.Contains(string(log), "download") {
			t.Errorf("cached fetch ran:\n%s", log)
		}
		if c, err := Cached(cache, arch(t, "amd64"), "bookworm"); err != nil || c.Image != k.Image {
			t.Errorf("Cached = %+v, %v", c, err)
		}
	}
}

func TestFetchNotFound(t *testing.T) {
	dir := fakeTools(t, false)
	d := &Debian{Cache: filepath.Join(dir, "cache"), HostCodename: "bookworm", Backoff: time.Millisecond}
	// The fake archive has no arm64 cloud kernel.
	_, err := d.Fetch(context.Background(), arch(t, "arm64"), "bookworm", "")
	t.Log(err)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "kernel package not found") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Cached(d.Cache, arch(t, "arm64"), "bookworm"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Cached err = %v", err)
	}
}

// TestAptUpdateFailureRetried plants a failing apt-get update (a signature
// failure) after a good one: the run goes on with the lists there are,
// with a warning, and the freshness stamp is not renewed, so the next run
// tries again instead of trusting the old lists for 12 hours.
func TestAptUpdateFailureRetried(t *testing.T) {
	dir := fakeTools(t, false)
	cache := filepath.Join(dir, "cache")
	var logs []string
	// Each run is a process of its own: a Debian of its own.
	newDebian := func() *Debian {
		return &Debian{Cache: cache, HostCodename: "bookworm",
			Sources: []Source{{URI: "http://deb.example/debian", Suite: "bookworm"}},
			Logf:    func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }, Backoff: time.Millisecond}
	}
	if _, err := newDebian().Fetch(t.Context(), arch(t, "amd64"), "bookworm", ""); err != nil {
		t.Fatal(err)
	}
	stamp := filepath.Join(cache, "apt", "bookworm-amd64", "updated")
	old := time.Now().Add(-13 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(stamp, old, old); err != nil {
		t.Fatal(err)
	}

	t.Setenv("FAKE_APT_UPDATE", "fail")
	for run := 1; run <= 2; run++ {
		os.Remove(filepath.Join(dir, "log"))
		logs = nil
		if _, err := newDebian().Fetch(t.Context(), arch(t, "amd64"), "bookworm", ""); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		if !strings.Contains(string(log), " update") {
			t.Fatalf("run %d: apt-get update not tried again:\n%s", run, log)
		}
		if st, err := os.Stat(stamp); err != nil || !st.ModTime().Equal(old) {
			t.Fatalf("run %d: the stamp was renewed after a failed update (%v)", run, err)
		}
		if w := strings.Join(logs, "\n"); !strings.Contains(w, "warning: ") || !strings.Contains(w, "is not signed") || !strings.Contains(w, "runs again next time") {
			t.Errorf("run %d: log %q", run, w)
		}
	}

	// Once it works again, the stamp is renewed and the lists are fresh.
	t.Setenv("FAKE_APT_UPDATE", "")
	if _, err := newDebian().Fetch(t.Context(), arch(t, "amd64"), "bookworm", ""); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(stamp); err != nil || time.Since(st.ModTime()) > time.Hour {
		t.Fatalf("stamp not renewed: %v", err)
	}
}

// TestAptSandbox: apt as root keeps its _apt download sandbox when the
// cache lets _apt in (the download directory is handed to it), and falls
// back to root, saying why, when it does not (a cache below /root).
func TestAptSandbox(t *testing.T) {
	sandbox := &user.User{Username: "_apt", Uid: "4242", Gid: "4243"}
	for _, tc := range []struct {
		name  string
		open  bool // the cache's parents let others search them
		want  string
		wantN string
	}{
		{"reachable cache", true, "download in a directory of uid 4242", "Sandbox::User=root"},
		{"cache below a 0700 directory", false, "Sandbox::User=root", "uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.open && os.Geteuid() != 0 {
				t.Skip("handing the download directory to the sandbox user needs root")
			}
			dir := fakeTools(t, false)
			// t.TempDir and its parent are 0700, like /root; opened, like
			// /var/cache.
			if tc.open {
				os.Chmod(dir, 0o755)
				os.Chmod(filepath.Dir(dir), 0o755)
			}
			cache := filepath.Join(dir, "cache")
			var logs []string
			d := &Debian{Cache: cache, HostCodename: "bookworm",
				Sources:    []Source{{URI: "http://deb.example/debian", Suite: "bookworm"}},
				Logf:       func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) },
				Backoff:    time.Millisecond,
				euid:       func() int { return 0 },
				lookupUser: func(string) (*user.User, error) { return sandbox, nil }}
			if _, err := d.Fetch(t.Context(), arch(t, "amd64"), "bookworm", ""); err != nil {
				t.Fatal(err)
			}
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			if !strings.Contains(string(log), tc.want) || strings.Contains(string(log), tc.wantN) {
				t.Errorf("apt calls (want %q, not %q):\n%s", tc.want, tc.wantN, log)
			}
			said := strings.Contains(strings.Join(logs, "\n"), "apt downloads as root, not as its sandbox user _apt: _apt cannot enter ")
			if said == tc.open {
				t.Errorf("fallback said: %v; log %q", said, logs)
			}
		})
	}
	// No _apt user: root, and why.
	d := &Debian{euid: func() int { return 0 }, lookupUser: func(string) (*user.User, error) { return nil, user.UnknownUserError("_apt") }}
	if sb, why := d.sandbox(t.TempDir()); sb != nil || why != "there is no user _apt here" {
		t.Errorf("no _apt: %v %q", sb, why)
	}
}

// The apt state directory keeps its sources.list when it does not change:
// a newer one makes apt-cache rebuild its binary cache on the next call
// (a second per call instead of a quarter).
func TestAptSourcesListKept(t *testing.T) {
	d := &Debian{Cache: t.TempDir(), HostCodename: "bookworm", Sources: []Source{{URI: "http://deb.example/debian", Suite: "bookworm"}}}
	a := arch(t, "amd64")
	if _, err := d.apt(a, "trixie"); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(d.Cache, "apt", "trixie-amd64", "sources.list")
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(list, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := d.apt(a, "trixie"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(list); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("an unchanged sources.list was rewritten (%v)", err)
	}
	d.Sources = []Source{{URI: "http://mirror.example/debian", Suite: "bookworm"}}
	if _, err := d.apt(a, "trixie"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(list); err != nil || string(b) != "deb http://mirror.example/debian trixie main\n" {
		t.Errorf("a changed sources.list: %q, %v", b, err)
	}
}
