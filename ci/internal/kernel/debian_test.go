package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

func arch(t *testing.T, name string) target.Arch {
	t.Helper()
	a, err := target.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Output of apt-cache show --no-all-versions linux-image-cloud-amd64
// (bookworm, with bookworm-security).
const showMeta = `Package: linux-image-cloud-amd64
Source: linux-signed-amd64 (6.1.192+2)
Version: 6.1.192-2
Installed-Size: 13
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Provides: linux-latest-modules-6.1.0-56-cloud-amd64, wireguard-modules (= 1.0.0)
Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)
Description-en: Linux for x86-64 cloud (meta-package)
 This package depends on the latest Linux kernel and modules for use on
 cloud platforms.
Description-md5: 0d1f2f4ad2dc5c9d1a1c2c8f6e8c36d0
Section: kernel
Priority: optional
Filename: pool/updates/main/l/linux-signed-amd64/linux-image-cloud-amd64_6.1.192+2_amd64.deb
Size: 1504

`

func TestParsePackagesAndDepends(t *testing.T) {
	pkgs := ParsePackages(showMeta)
	if len(pkgs) != 1 || pkgs[0].Name != "linux-image-cloud-amd64" || pkgs[0].Version != "6.1.192-2" {
		t.Fatalf("pkgs = %+v", pkgs)
	}
	f, err := DebianFlavour(arch(t, "amd64"), "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	img, err := ImageFromDepends(pkgs[0].Depends, f)
	if err != nil || img != "linux-image-6.1.0-56-cloud-amd64" {
		t.Fatalf("image = %q, %v", img, err)
	}

	for _, c := range []struct {
		arch, release, depends, want string
	}{
		{"amd64", "trixie", "linux-image-6.12.117+deb13-cloud-amd64 (= 6.12.117-1)", "linux-image-6.12.117+deb13-cloud-amd64"},
		{"riscv64", "trixie", "linux-image-6.12.107+deb13-riscv64 (= 6.12.107-1)", "linux-image-6.12.107+deb13-riscv64"},
		{"ppc64el", "bookworm", "linux-image-6.1.0-50-powerpc64le (= 6.1.176-1)", "linux-image-6.1.0-50-powerpc64le"},
		// Alternatives and an architecture qualifier.
		{"arm64", "bookworm", "foo | linux-image-6.1.0-56-cloud-arm64:arm64 (= 6.1.192-2), bar", "linux-image-6.1.0-56-cloud-arm64"},
	} {
		f, err := DebianFlavour(arch(t, c.arch), c.release)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ImageFromDepends(c.depends, f)
		if err != nil || got != c.want {
			t.Errorf("%s %s: got %q, %v; want %q", c.arch, c.release, got, err, c.want)
		}
	}
	// A bookworm metapackage must not resolve to the 6.12 backport
	// (bookworm-security also carries linux-image-6.12.*+deb12-*).
	if _, err := ImageFromDepends("linux-image-6.12.48+deb12-cloud-amd64 (= 6.12.48-1~deb12u1)", f); err == nil {
		t.Fatal("bookworm accepted a 6.12 image")
	}
}

func TestDebianFlavour(t *testing.T) {
	if _, err := DebianFlavour(arch(t, "riscv64"), "bookworm"); err == nil || !strings.Contains(err.Error(), "trixie") {
		t.Fatalf("riscv64 bookworm: %v", err)
	}
	if _, err := DebianFlavour(arch(t, "amd64"), "buster"); err == nil {
		t.Fatal("unknown release accepted")
	}
	f, err := DebianFlavour(arch(t, "ppc64le"), "trixie")
	if err != nil || f.Meta != "linux-image-powerpc64le" || f.Unsigned || f.Series != "6.12" {
		t.Fatalf("ppc64le trixie: %+v %v", f, err)
	}
	f, _ = DebianFlavour(arch(t, "amd64"), "bookworm")
	if f.Meta != "linux-image-cloud-amd64" || !f.Unsigned || f.Series != "6.1" {
		t.Fatalf("amd64 bookworm: %+v", f)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"6.1.192-2", "6.1.176-1", 1},
		{"6.1.0-9", "6.1.0-56", -1},
		{"6.12.107+deb13", "6.12.41+deb13", 1},
		{"1:1.0", "2.0", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0", "1.0", 0},
		{"1.0a", "1.0", 1},
		{"6.12.48-1~deb12u1", "6.12.48-1", -1},
	} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareVersions(c.b, c.a); got != -c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

const hostDeb822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main contrib
Enabled: yes
`

func TestSources(t *testing.T) {
	srcs := ParseDeb822(hostDeb822)
	if len(srcs) != 4 {
		t.Fatalf("deb822: %+v", srcs)
	}
	got := SourcesList(SourcesFor(srcs, "bookworm", "trixie"))
	want := `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security trixie-security main
`
	if got != want {
		t.Fatalf("trixie sources:\n%s\nwant:\n%s", got, want)
	}
	if got := SourcesList(SourcesFor(srcs, "bookworm", "bookworm")); !strings.Contains(got, " bookworm-security main") || strings.Contains(got, "backports") {
		t.Fatalf("bookworm sources:\n%s", got)
	}

	one := ParseOneLine(`# comment
deb [arch=amd64 signed-by=/etc/k.gpg] http://mirror.example/debian bookworm main contrib
deb http://security.example/debian-security bookworm-security main
deb-src http://mirror.example/debian bookworm main
deb http://mirror.example/debian bookworm contrib
`)
	if len(one) != 2 || one[0].SignedBy != "/etc/k.gpg" || one[0].URI != "http://mirror.example/debian" || one[1].Suite != "bookworm-security" {
		t.Fatalf("one-line: %+v", one)
	}

	// No Debian source on the machine: fall back to deb.debian.org.
	fb := SourcesFor(nil, "", "trixie")
	if len(fb) != 1 || fb[0].URI != DefaultMirror || fb[0].Suite != "trixie" {
		t.Fatalf("fallback: %+v", fb)
	}
}

func TestHostFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sources.list.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "sources.list.d", "debian.sources"), []byte(hostDeb822), 0o644)
	os.WriteFile(filepath.Join(dir, "sources.list.d", "x.list.disabled"), []byte("deb http://x/ bookworm main\n"), 0o644)
	if got := HostSources(dir); len(got) != 4 {
		t.Fatalf("HostSources: %+v", got)
	}
	osr := filepath.Join(dir, "os-release")
	os.WriteFile(osr, []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n"), 0o644)
	if got := HostCodename(osr); got != "bookworm" {
		t.Fatalf("HostCodename = %q", got)
	}
}

func TestLocalKernel(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "vmlinuz-6.9.0-test")
	os.WriteFile(img, []byte("kernel"), 0o644)
	mods := filepath.Join(dir, "lib", "modules", "6.9.0-test", "kernel")
	os.MkdirAll(mods, 0o755)
	os.WriteFile(filepath.Join(mods, "kvm.ko"), elfWithModinfo("depends=", "name=kvm"), 0o644)
	os.WriteFile(filepath.Join(mods, "kvm-hv.ko"), elfWithModinfo("depends=kvm", "name=kvm_hv"), 0o644)

	k, err := Local(t.Context(), arch(t, "ppc64le"), img, filepath.Join(dir, "lib"))
	if err != nil {
		t.Fatal(err)
	}
	if k.Release != "6.9.0-test" || len(k.Modules) != 2 || k.Modules[0].Name != "kvm" || k.Modules[1].Name != "kvm_hv" {
		t.Fatalf("kernel = %+v", k)
	}
	// arm64 has KVM built in: no modules wanted.
	k, err = Local(t.Context(), arch(t, "arm64"), img, "")
	if err != nil || len(k.Modules) != 0 {
		t.Fatalf("arm64: %+v %v", k, err)
	}
	if _, err := Local(t.Context(), arch(t, "amd64"), filepath.Join(dir, "nope"), ""); err == nil {
		t.Fatal("missing image accepted")
	}
	if _, err := Local(t.Context(), arch(t, "amd64"), img, filepath.Join(dir, "nope")); err == nil {
		t.Fatal("missing modules dir accepted")
	}
}

func TestUnpackedLayout(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "boot"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/lib/modules/6.12.107+deb13-riscv64/kernel"), 0o755)
	os.WriteFile(filepath.Join(root, "boot/vmlinux-6.12.107+deb13-riscv64"), []byte("k"), 0o644)
	os.WriteFile(filepath.Join(root, "boot/config-6.12.107+deb13-riscv64"), []byte("c"), 0o644)
	img, rel, err := findImage(root)
	if err != nil || filepath.Base(img) != "vmlinux-6.12.107+deb13-riscv64" || rel != "6.12.107+deb13-riscv64" {
		t.Fatalf("findImage = %q %q %v", img, rel, err)
	}
	if d, err := findModulesDir(root, rel); err != nil || !strings.HasSuffix(d, "usr/lib/modules/6.12.107+deb13-riscv64") {
		t.Fatalf("findModulesDir = %q %v", d, err)
	}
	if _, _, err := findImage(t.TempDir()); err == nil {
		t.Fatal("empty package accepted")
	}
}
