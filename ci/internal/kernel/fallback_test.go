package kernel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// fakeArchive is a package index and pool without apt or a network.
type fakeArchive struct {
	t *testing.T
	// index maps a package name to its versions; a metapackage's first
	// version is its candidate and names the image in Depends.
	index map[string][]Package
	// pool says what fetching "name=version" does, try after try: nil
	// downloads, an error fails; the last entry repeats. A version with no
	// entry is missing from the pool (404).
	pool      map[string][]error
	updateErr error
	// fetched logs the fetches, "name=version" each.
	fetched []string
}

// errNotInPool is what a mirror in mid-sync answers for a version its
// index names and its pool does not have.
var errNotInPool = errors.New("E: Failed to fetch http://deb.example/debian/pool/main/l/linux/x.deb  404  Not Found")

func (f *fakeArchive) update(context.Context) error { return f.updateErr }
func (f *fakeArchive) where() string                { return "/fake/lists" }

func (f *fakeArchive) candidate(_ context.Context, name string) (Package, error) {
	v := f.index[name]
	if len(v) == 0 {
		return Package{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return v[0], nil
}

func (f *fakeArchive) versions(_ context.Context, names []string) ([]Package, error) {
	var out []Package
	for _, n := range names {
		out = append(out, f.index[n]...)
	}
	return out, nil
}

func (f *fakeArchive) names(_ context.Context, prefix string) ([]string, error) {
	var out []string
	for n := range f.index {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, nil
}

// fetch unpacks a fake linux-image package: the image and the KVM modules
// of the release its name carries.
func (f *fakeArchive) fetch(_ context.Context, pkg Package, work, root string) error {
	key := pkg.Name + "=" + pkg.Version
	f.fetched = append(f.fetched, key)
	tries, ok := f.pool[key]
	if !ok {
		return fmt.Errorf("downloading %s: %w", pkg.Name, errNotInPool)
	}
	if err := tries[min(f.count(key), len(tries))-1]; err != nil {
		return fmt.Errorf("downloading %s: %w", pkg.Name, err)
	}
	krel := strings.TrimSuffix(strings.TrimPrefix(pkg.Name, "linux-image-"), "-unsigned")
	mods := filepath.Join(root, "lib/modules", krel, "kernel/arch/powerpc/kvm")
	if err := os.MkdirAll(mods, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, "boot"), 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		filepath.Join(root, "boot", "vmlinux-"+krel): []byte("kernel " + pkg.Version),
		filepath.Join(mods, "kvm.ko"):                elfWithModinfo("depends=", "name=kvm"),
		filepath.Join(mods, "kvm-hv.ko"):             elfWithModinfo("depends=kvm", "name=kvm_hv"),
	}
	for p, data := range files {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeArchive) count(key string) int {
	n := 0
	for _, k := range f.fetched {
		if k == key {
			n++
		}
	}
	return n
}

// The trixie ppc64el images of the incident: the index names 6.12.117-1,
// which the pool does not have yet, and older versions.
const (
	img117 = "linux-image-6.12.117+deb13-powerpc64le"
	img57  = "linux-image-6.12.57+deb13-powerpc64le"
	img41  = "linux-image-6.12.41+deb13-powerpc64le"
	img100 = "linux-image-6.12.100+deb13-powerpc64le"
)

// trixiePPC returns an index with the metapackage pointing at 6.12.117-1,
// two older versions and a 6.1 image that must never be chosen, and a pool
// in which every version but those in missing downloads.
func trixiePPC(t *testing.T, missing ...string) *fakeArchive {
	f := &fakeArchive{t: t, index: map[string][]Package{
		"linux-image-powerpc64le":          {{Name: "linux-image-powerpc64le", Version: "6.12.117-1", Depends: img117 + " (= 6.12.117-1)"}},
		img117:                             {{Name: img117, Version: "6.12.117-1"}},
		img57:                              {{Name: img57, Version: "6.12.57-1"}},
		img41:                              {{Name: img41, Version: "6.12.41-1"}},
		"linux-image-6.1.0-57-powerpc64le": {{Name: "linux-image-6.1.0-57-powerpc64le", Version: "6.1.192-3"}},
	}, pool: map[string][]error{}}
	for _, key := range []string{img117 + "=6.12.117-1", img57 + "=6.12.57-1", img41 + "=6.12.41-1", "linux-image-6.1.0-57-powerpc64le=6.1.192-3"} {
		f.pool[key] = []error{nil}
	}
	for _, m := range missing {
		delete(f.pool, m)
	}
	return f
}

// debianWith returns a Debian on a fresh cache that uses the fake archive,
// records its waits and logs, and never sleeps.
func debianWith(t *testing.T, cache string, f *fakeArchive) (d *Debian, logs *[]string, waits *[]time.Duration) {
	logs, waits = new([]string), new([]time.Duration)
	d = &Debian{Cache: cache,
		Logf: func(format string, args ...any) { *logs = append(*logs, fmt.Sprintf(format, args...)) },
		open: func(target.Arch, string) (archive, error) {
			if f == nil {
				t.Fatal("the archive was opened")
			}
			return f, nil
		},
		sleep: func(ctx context.Context, d time.Duration) error { *waits = append(*waits, d); return ctx.Err() },
	}
	return d, logs, waits
}

func warnings(logs []string) []string {
	var out []string
	for _, l := range logs {
		if strings.HasPrefix(l, "warning: ") {
			out = append(out, l)
		}
	}
	return out
}

func TestFetchFallsBackWhenTheNewestIsNotInThePool(t *testing.T) {
	f := trixiePPC(t, img117+"=6.12.117-1")
	// A fallback version is retried after an error other than 404.
	f.pool[img57+"=6.12.57-1"] = []error{errors.New("E: Failed to fetch ...  Connection timed out"), nil}
	d, logs, waits := debianWith(t, t.TempDir(), f)
	k, err := d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "")
	if err != nil {
		t.Fatal(err)
	}
	// The newest other version of the series, not the oldest and not 6.1.
	if k.Package != img57 || k.Version != "6.12.57-1" || k.Release != "6.12.57+deb13-powerpc64le" || len(k.Modules) != 2 {
		t.Fatalf("kernel %+v", k)
	}
	if got := f.count(img117 + "=6.12.117-1"); got != 3 {
		t.Errorf("6.12.117-1 tried %d times, want 3", got)
	}
	if !reflect.DeepEqual(*waits, []time.Duration{5 * time.Second, 10 * time.Second, 5 * time.Second}) {
		t.Errorf("waits %v, want 5s, 10s (6.12.117-1), 5s (6.12.57-1)", *waits)
	}
	if f.count(img57+"=6.12.57-1") != 2 {
		t.Errorf("6.12.57-1 tried %d times, want 2", f.count(img57+"=6.12.57-1"))
	}
	if f.count(img41+"=6.12.41-1") != 0 {
		t.Error("fetched 6.12.41-1 after 6.12.57-1 worked")
	}
	w := warnings(*logs)
	last := w[len(w)-1]
	if !strings.Contains(last, "could not fetch "+img117+" 6.12.117-1 (404 Not Found, 3 tries)") ||
		!strings.Contains(last, "using "+img57+" 6.12.57-1 instead") || strings.Contains(last, "\n") {
		t.Errorf("warning %q", last)
	}
	if k.Fallback == "" || !strings.Contains(last, k.Fallback) {
		t.Errorf("Fallback %q, warning %q", k.Fallback, last)
	}

	// The next run (another process: a Debian of its own) finds
	// 6.12.57-1 in the cache and still says it is a fallback.
	f.fetched = nil
	d, _, _ = debianWith(t, d.Cache, f)
	k, err = d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "")
	if err != nil || k.Version != "6.12.57-1" || !strings.Contains(k.Fallback, "from the cache") || f.count(img57+"=6.12.57-1") != 0 {
		t.Fatalf("second fetch: %+v %v, fetched %v", k, err, f.fetched)
	}
}

func TestFetchRetriesATransientFailure(t *testing.T) {
	f := trixiePPC(t)
	f.pool[img117+"=6.12.117-1"] = []error{errors.New("E: Failed to fetch ...: File has unexpected size (1234 != 5678). Mirror sync in progress?"), nil}
	d, logs, waits := debianWith(t, t.TempDir(), f)
	k, err := d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "")
	if err != nil {
		t.Fatal(err)
	}
	if k.Version != "6.12.117-1" || k.Fallback != "" || f.count(img117+"=6.12.117-1") != 2 || len(f.fetched) != 2 {
		t.Fatalf("kernel %+v, fetched %v", k, f.fetched)
	}
	if !reflect.DeepEqual(*waits, []time.Duration{5 * time.Second}) {
		t.Errorf("waits %v", *waits)
	}
	if w := warnings(*logs); len(w) != 1 || !strings.Contains(w[0], "Mirror sync in progress?") || !strings.Contains(w[0], "try 2 of 3") {
		t.Errorf("warnings %q", w)
	}
}

func TestFetchPinned(t *testing.T) {
	ppc := arch(t, "ppc64le")

	// A pinned version is used even though a newer one downloads.
	f := trixiePPC(t)
	cache := t.TempDir()
	d, logs, _ := debianWith(t, cache, f)
	k, err := d.Fetch(t.Context(), ppc, "trixie", "6.12.41-1")
	if err != nil || k.Version != "6.12.41-1" || k.Fallback != "" || !reflect.DeepEqual(f.fetched, []string{img41 + "=6.12.41-1"}) {
		t.Fatalf("pinned: %+v %v, fetched %v", k, err, f.fetched)
	}
	if len(warnings(*logs)) != 0 {
		t.Errorf("warnings %q", *logs)
	}
	// Cached: the archive is not even opened.
	d, _, _ = debianWith(t, cache, nil)
	if k, err := d.Fetch(t.Context(), ppc, "trixie", "6.12.41-1"); err != nil || k.Version != "6.12.41-1" {
		t.Fatalf("pinned, cached: %+v %v", k, err)
	}

	// A pinned version that does not download is an error: no fallback.
	f = trixiePPC(t, img57+"=6.12.57-1")
	d, _, waits := debianWith(t, t.TempDir(), f)
	_, err = d.Fetch(t.Context(), ppc, "trixie", "6.12.57-1")
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "the pinned "+img57+" 6.12.57-1 could not be fetched (no fallback") ||
		!strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "3 tries") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(f.fetched, []string{img57 + "=6.12.57-1", img57 + "=6.12.57-1", img57 + "=6.12.57-1"}) || len(*waits) != 2 {
		t.Fatalf("fetched %v, waits %v", f.fetched, *waits)
	}

	// A version the index does not name is an error that lists those it
	// does.
	f = trixiePPC(t)
	d, _, _ = debianWith(t, t.TempDir(), f)
	_, err = d.Fetch(t.Context(), ppc, "trixie", "6.12.99-1")
	t.Log(err)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "version 6.12.99-1 of linux-image-6.12.*-powerpc64le is not in the package index, which has 6.12.117-1, 6.12.57-1, 6.12.41-1") ||
		len(f.fetched) != 0 {
		t.Fatalf("err = %v, fetched %v", err, f.fetched)
	}
}

func TestFetchFallsBackToTheCache(t *testing.T) {
	ppc := arch(t, "ppc64le")
	cache := t.TempDir()
	// Fill the cache with 6.12.41-1 (and 6.1 for bookworm, which must not
	// count for trixie).
	d, _, _ := debianWith(t, cache, trixiePPC(t))
	if _, err := d.Fetch(t.Context(), ppc, "trixie", "6.12.41-1"); err != nil {
		t.Fatal(err)
	}

	// Nothing downloads: the cached version is used, with a warning.
	f := trixiePPC(t, img117+"=6.12.117-1", img57+"=6.12.57-1", img41+"=6.12.41-1")
	d, logs, _ := debianWith(t, cache, f)
	k, err := d.Fetch(t.Context(), ppc, "trixie", "")
	if err != nil {
		t.Fatal(err)
	}
	if k.Version != "6.12.41-1" || f.count(img41+"=6.12.41-1") != 0 {
		t.Fatalf("kernel %+v, fetched %v", k, f.fetched)
	}
	w := warnings(*logs)
	if last := w[len(w)-1]; !strings.Contains(last, "6.12.117-1") || !strings.Contains(last, "6.12.57-1") ||
		!strings.Contains(last, "using "+img41+" 6.12.41-1 from the cache instead") {
		t.Errorf("warning %q", last)
	}

	// A cached version newer than the older ones in the index wins over
	// downloading them, even when the index no longer names it.
	d, _, _ = debianWith(t, cache, func() *fakeArchive {
		f := trixiePPC(t)
		f.index[img100] = []Package{{Name: img100, Version: "6.12.100-1"}}
		f.pool[img100+"=6.12.100-1"] = []error{nil}
		return f
	}())
	if _, err := d.Fetch(t.Context(), ppc, "trixie", "6.12.100-1"); err != nil {
		t.Fatal(err)
	}
	f = trixiePPC(t, img117+"=6.12.117-1")
	d, _, _ = debianWith(t, cache, f)
	if k, err := d.Fetch(t.Context(), ppc, "trixie", ""); err != nil || k.Version != "6.12.100-1" || f.count(img57+"=6.12.57-1") != 0 {
		t.Fatalf("cached 6.12.100-1: %+v %v, fetched %v", k, err, f.fetched)
	}
}

func TestFetchNothingWorks(t *testing.T) {
	f := trixiePPC(t, img117+"=6.12.117-1", img57+"=6.12.57-1", img41+"=6.12.41-1")
	d, _, _ := debianWith(t, t.TempDir(), f)
	_, err := d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "")
	t.Log(err)
	if !errors.Is(err, ErrNotFetched) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"debian trixie ppc64el: no kernel could be fetched: tried ", img117 + " 6.12.117-1 (", img57 + " 6.12.57-1 (", img41 + " 6.12.41-1 (", "no other linux-image-6.12.* version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q", want)
		}
	}
	if strings.Contains(err.Error(), "6.1.192") {
		t.Error("tried a 6.1 kernel for trixie")
	}
	// The newest is tried three times; the older ones are not retried
	// after a 404 (they are not about to arrive).
	if n := len(f.fetched); n != 5 || f.count(img117+"=6.12.117-1") != 3 {
		t.Errorf("%d fetches, want 3 of 6.12.117-1 and one of each older: %v", n, f.fetched)
	}
	if !strings.Contains(err.Error(), img117+" 6.12.117-1 (404 Not Found, 3 tries), "+img57+" 6.12.57-1 (404 Not Found), ") {
		t.Errorf("reasons not short: %v", err)
	}
}

// An interrupt while waiting to retry ends Fetch: no fallback.
func TestFetchCancelled(t *testing.T) {
	f := trixiePPC(t, img117+"=6.12.117-1")
	d, _, _ := debianWith(t, t.TempDir(), f)
	ctx, cancel := context.WithCancel(t.Context())
	d.sleep = func(context.Context, time.Duration) error { cancel(); return ctx.Err() }
	if _, err := d.Fetch(ctx, arch(t, "ppc64le"), "trixie", ""); !errors.Is(err, context.Canceled) || len(f.fetched) != 1 {
		t.Fatalf("err = %v, fetched %v", err, f.fetched)
	}
}

// Failed package lists with a cached kernel: the cached one, with a warning.
func TestFetchUpdateFailsCacheUsed(t *testing.T) {
	cache := t.TempDir()
	d, _, _ := debianWith(t, cache, trixiePPC(t))
	if _, err := d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "6.12.57-1"); err != nil {
		t.Fatal(err)
	}
	f := trixiePPC(t)
	f.updateErr = errors.New("package lists for debian trixie ppc64el: apt-get update: exit status 100")
	d, logs, _ := debianWith(t, cache, f)
	k, err := d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "")
	if err != nil || k.Version != "6.12.57-1" || !strings.Contains(k.Fallback, "using the cached "+img57+" 6.12.57-1") || len(warnings(*logs)) != 1 {
		t.Fatalf("%+v %v %q", k, err, *logs)
	}
	// Pinned to a version that is not cached: the update error.
	if _, err := d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "6.12.41-1"); err == nil || !strings.Contains(err.Error(), "apt-get update") {
		t.Fatalf("pinned: %v", err)
	}
}

func TestIndexImages(t *testing.T) {
	versions := map[string]string{
		"linux-image-6.1.0-9-cloud-arm64":           "6.1.27-1",
		"linux-image-6.1.0-56-cloud-arm64-unsigned": "6.1.192-2",
		"linux-image-6.1.0-56-cloud-arm64":          "6.1.192-2",
		"linux-image-6.1.0-50-cloud-arm64":          "6.1.176-1",
		"linux-image-6.1.0-56-rt-arm64":             "6.1.192-2",
		"linux-image-6.12.117+deb12-cloud-arm64":    "6.12.117-1~deb12u1",
		"linux-image-6.1.0-56-cloud-arm64-dbg":      "6.1.192-2",
		"linux-image-cloud-arm64":                   "6.1.192-2",
		"linux-image-6.12.9+deb13-cloud-arm64":      "6.12.9-1",
		"linux-image-6.12.41+deb13-cloud-arm64":     "6.12.41-1",
		// Only the -unsigned variant in the index.
		"linux-image-6.12.107+deb13-cloud-arm64-unsigned": "6.12.107-1",
	}
	f := &fakeArchive{t: t, index: map[string][]Package{}}
	for n, v := range versions {
		f.index[n] = []Package{{Name: n, Version: v}}
	}
	got := func(release string) string {
		fl, _ := DebianFlavour(arch(t, "arm64"), release)
		pkgs, err := indexImages(t.Context(), f, fl)
		if err != nil {
			return err.Error()
		}
		var s []string
		for _, p := range pkgs {
			s = append(s, p.Name+"="+p.Version)
		}
		return strings.Join(s, " ")
	}
	if g := got("bookworm"); g != "linux-image-6.1.0-56-cloud-arm64-unsigned=6.1.192-2 linux-image-6.1.0-50-cloud-arm64=6.1.176-1 linux-image-6.1.0-9-cloud-arm64=6.1.27-1" {
		t.Errorf("bookworm: %s", g)
	}
	// (The 6.12 backport is in bookworm-security only, never in trixie's
	// index.)
	delete(f.index, "linux-image-6.12.117+deb12-cloud-arm64")
	if g := got("trixie"); g != "linux-image-6.12.107+deb13-cloud-arm64-unsigned=6.12.107-1 linux-image-6.12.41+deb13-cloud-arm64=6.12.41-1 linux-image-6.12.9+deb13-cloud-arm64=6.12.9-1" {
		t.Errorf("trixie: %s", g)
	}
	f.index = map[string][]Package{"linux-image-6.1.0-56-cloud-arm64": {{Name: "linux-image-6.1.0-56-cloud-arm64", Version: "6.1.192-2"}}}
	if g := got("trixie"); g != "no linux-image-6.12.*-cloud-arm64 package in the index" {
		t.Errorf("trixie without 6.12: %s", g)
	}
}

func TestParseDebianSpec(t *testing.T) {
	for in, want := range map[string]DebianSpec{
		"debian:bookworm":              {Release: "bookworm"},
		"debian:trixie":                {Release: "trixie"},
		"debian:trixie=6.12.117-1":     {Release: "trixie", Version: "6.12.117-1"},
		"debian:bookworm=6.1.192-3":    {Release: "bookworm", Version: "6.1.192-3"},
		"debian:bookworm=6.1.148-1~x1": {Release: "bookworm", Version: "6.1.148-1~x1"},
	} {
		got, ok, err := ParseDebianSpec(in)
		if !ok || err != nil || got != want || got.String() != in {
			t.Errorf("ParseDebianSpec(%q) = %+v, %v, %v", in, got, ok, err)
		}
	}
	if s, _, _ := ParseDebianSpec("debian:trixie=6.12.117-1"); s.Label() != "debian-trixie-6.12.117-1" {
		t.Errorf("label %q", s.Label())
	}
	if _, ok, err := ParseDebianSpec("/boot/vmlinuz-6.1"); ok || err != nil {
		t.Errorf("a file: %v %v", ok, err)
	}
	for in, want := range map[string]string{
		"debian:buster":        `unknown Debian release "buster": want debian:bookworm, debian:trixie`,
		"debian:=6.12.117-1":   `unknown Debian release ""`,
		"debian:trixie=":       `no version after "debian:trixie=": want e.g. debian:trixie=6.12.117-1`,
		"debian:trixie=latest": `"latest" is not a Debian package version: want e.g. debian:trixie=6.12.117-1`,
		"debian:trixie=linux-image-6.12.117+deb13-riscv64": `is not a Debian package version`,
		"debian:trixie=6.12.117-1=2":                       `"6.12.117-1=2" is not a Debian package version`,
		"debian:trixie=6.12 117":                           `is not a Debian package version`,
		"debian:trixie=6.12.117-":                          `is not a Debian package version`,
		"debian:trixie=6.1.192-3":                          "debian:trixie ships 6.12 kernels and 6.1.192-3 is not one",
		"debian:bookworm=6.12.48-1~deb12u1":                "debian:bookworm ships 6.1 kernels",
	} {
		_, ok, err := ParseDebianSpec(in)
		if !ok || err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDebianSpec(%q): %v, %v; want %q", in, ok, err, want)
		}
	}
}

// Without a metapackage the newest image in the index is the first choice
// and gets every try; the older one is the fallback.
func TestFetchNoMetapackage(t *testing.T) {
	f := trixiePPC(t, img117+"=6.12.117-1")
	delete(f.index, "linux-image-powerpc64le")
	d, logs, _ := debianWith(t, t.TempDir(), f)
	k, err := d.Fetch(t.Context(), arch(t, "ppc64le"), "trixie", "")
	if err != nil || k.Version != "6.12.57-1" || f.count(img117+"=6.12.117-1") != 3 {
		t.Fatalf("%+v %v, fetched %v", k, err, f.fetched)
	}
	if w := warnings(*logs); !strings.Contains(w[len(w)-1], "using "+img57+" 6.12.57-1 instead") {
		t.Errorf("warnings %q", w)
	}
}

// countOpens makes d count how often it opens its archive.
func countOpens(d *Debian) *int {
	n := new(int)
	open := d.open
	d.open = func(a target.Arch, release string) (archive, error) {
		*n++
		return open(a, release)
	}
	return n
}

// Two rows of one matrix with the same kernel (ppc64le and ppc64le-powernv
// on trixie): the second gets the first's fallback without asking apt,
// retrying or waiting again.
func TestFetchRemembersTheFallback(t *testing.T) {
	ppc := arch(t, "ppc64le")
	f := trixiePPC(t, img117+"=6.12.117-1")
	d, logs, waits := debianWith(t, t.TempDir(), f)
	opens := countOpens(d)
	first, err := d.Fetch(t.Context(), ppc, "trixie", "")
	if err != nil || first.Version != "6.12.57-1" || first.Fallback == "" {
		t.Fatalf("first: %+v %v", first, err)
	}
	fetches, nwaits, nlogs := len(f.fetched), len(*waits), len(*logs)
	if *opens != 1 || fetches != 4 || nwaits != 2 {
		t.Fatalf("first: %d opens, fetched %v, waits %v", *opens, f.fetched, *waits)
	}

	second, err := d.Fetch(t.Context(), ppc, "trixie", "")
	if err != nil {
		t.Fatal(err)
	}
	if *opens != 1 || len(f.fetched) != fetches || len(*waits) != nwaits {
		t.Errorf("second: %d opens, fetched %v, waits %v; want nothing new", *opens, f.fetched, *waits)
	}
	if !reflect.DeepEqual(second, first) || second == first || &second.Modules[0] == &first.Modules[0] {
		t.Errorf("second %+v, want an unshared copy of %+v", second, first)
	}
	// It says so: the row's log names the fallback too.
	if w := warnings((*logs)[nlogs:]); len(w) != 1 || !strings.Contains(w[0], "as before in this run") || !strings.Contains(w[0], first.Fallback) {
		t.Errorf("second warnings %q", w)
	}
	// A row that changes what it got does not change the next one's.
	second.Fallback, second.Modules[0].Name = "", "changed"
	if third, _ := d.Fetch(t.Context(), ppc, "trixie", ""); third.Fallback != first.Fallback || third.Modules[0].Name != first.Modules[0].Name {
		t.Errorf("third %+v", third)
	}

	// Another release or architecture is resolved on its own.
	if _, err := d.Fetch(t.Context(), ppc, "bookworm", ""); *opens != 2 {
		t.Errorf("bookworm: %v, %d opens", err, *opens)
	}
}

// A version whose download failed on every try is not tried again in this
// process, for another Fetch either (here the same version, pinned).
func TestFetchRemembersFailedDownloads(t *testing.T) {
	ppc := arch(t, "ppc64le")
	f := trixiePPC(t, img117+"=6.12.117-1")
	d, _, waits := debianWith(t, t.TempDir(), f)
	if _, err := d.Fetch(t.Context(), ppc, "trixie", ""); err != nil {
		t.Fatal(err)
	}
	tries, nwaits := f.count(img117+"=6.12.117-1"), len(*waits)
	_, err := d.Fetch(t.Context(), ppc, "trixie", "6.12.117-1")
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "the pinned "+img117+" 6.12.117-1 could not be fetched") || !strings.Contains(err.Error(), "3 tries") {
		t.Fatalf("pinned after the failure: %v", err)
	}
	if f.count(img117+"=6.12.117-1") != tries || len(*waits) != nwaits {
		t.Errorf("tried 6.12.117-1 %d times (was %d), waits %v", f.count(img117+"=6.12.117-1"), tries, *waits)
	}
	// Another process (a Debian of its own) sharing the cache does not
	// ask for the version the pool did not have for NotInPoolTTL, and
	// says so in the fallback; after it, or with --refresh, it asks.
	for _, tc := range []struct {
		name      string
		after     time.Duration
		refresh   bool
		wantFetch bool
	}{
		{"next process", time.Hour, false, false},
		{"next process with --refresh", time.Hour, true, true},
		{"a process after the TTL", NotInPoolTTL + time.Minute, false, true},
	} {
		f := trixiePPC(t, img117+"=6.12.117-1")
		d, _, _ := debianWith(t, t.TempDir(), f)
		seenAt := time.Now().Add(-time.Minute)
		d.now = func() time.Time { return seenAt }
		if _, err := d.Fetch(t.Context(), ppc, "trixie", ""); err != nil {
			t.Fatal(err)
		}
		f.pool[img117+"=6.12.117-1"] = []error{nil}
		d, _, _ = debianWith(t, d.Cache, f)
		d.Refresh = tc.refresh
		d.now = func() time.Time { return seenAt.Add(tc.after) }
		before := f.count(img117 + "=6.12.117-1")
		k, err := d.Fetch(t.Context(), ppc, "trixie", "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fetched := f.count(img117+"=6.12.117-1") > before
		want := "404 Not Found at " + seenAt.UTC().Format(time.RFC3339) + ", remembered: not asked again before " + seenAt.Add(NotInPoolTTL).UTC().Format(time.RFC3339)
		switch {
		case fetched != tc.wantFetch:
			t.Errorf("%s: asked for 6.12.117-1: %v, want %v", tc.name, fetched, tc.wantFetch)
		case tc.wantFetch && (k.Version != "6.12.117-1" || k.Fallback != ""):
			t.Errorf("%s: got %s, fallback %q; want 6.12.117-1", tc.name, k.Version, k.Fallback)
		case !tc.wantFetch && (k.Version != "6.12.57-1" || !strings.Contains(k.Fallback, want)):
			t.Errorf("%s: got %s, fallback %q; want the cached 6.12.57-1 and %q", tc.name, k.Version, k.Fallback, want)
		}
		if tc.wantFetch {
			// Fetched: forgotten.
			if _, err := os.Stat(filepath.Join(d.Cache, "kernels", "ppc64el", notInPoolFile)); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if m := d.notInPoolMemo("ppc64el").read(); len(m) != 0 {
				t.Errorf("%s: still remembered after the fetch: %v", tc.name, m)
			}
		}
	}
}

// When nothing can be fetched, the second row fails the same way at once;
// an interrupted Fetch is not remembered.
func TestFetchRemembersErrorsNotInterrupts(t *testing.T) {
	ppc := arch(t, "ppc64le")
	f := trixiePPC(t, img117+"=6.12.117-1", img57+"=6.12.57-1", img41+"=6.12.41-1")
	d, _, _ := debianWith(t, t.TempDir(), f)
	if _, err := d.Fetch(t.Context(), ppc, "trixie", ""); !errors.Is(err, ErrNotFetched) {
		t.Fatalf("first: %v", err)
	}
	n := len(f.fetched)
	_, err := d.Fetch(t.Context(), ppc, "trixie", "")
	if !errors.Is(err, ErrNotFetched) || !strings.Contains(err.Error(), "as before in this run") || len(f.fetched) != n {
		t.Fatalf("second: %v, fetched %v", err, f.fetched)
	}

	f = trixiePPC(t, img117+"=6.12.117-1")
	d, _, _ = debianWith(t, t.TempDir(), f)
	ctx, cancel := context.WithCancel(t.Context())
	d.sleep = func(context.Context, time.Duration) error { cancel(); return ctx.Err() }
	if _, err := d.Fetch(ctx, ppc, "trixie", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted: %v", err)
	}
	d.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	if k, err := d.Fetch(t.Context(), ppc, "trixie", ""); err != nil || k.Version != "6.12.57-1" || f.count(img117+"=6.12.117-1") != 4 {
		t.Fatalf("after the interrupt: %+v %v, fetched %v", k, err, f.fetched)
	}
}
