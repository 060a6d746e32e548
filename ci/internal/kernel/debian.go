package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// Flavour says which Debian package holds the kernel for one architecture in
// one release.
type Flavour struct {
	// Meta is the metapackage whose Depends names the newest image package.
	Meta string
	// Suffix is the flavour at the end of the image package name
	// (cloud-amd64 in linux-image-6.1.0-56-cloud-amd64).
	Suffix string
	// Unsigned prefers the "-unsigned" variant (amd64, arm64: the plain
	// image without the signed EFI wrapper).
	Unsigned bool
	// Series is the upstream kernel series the release ships (6.1, 6.12).
	Series string
}

// Releases are the Debian releases the runner knows.
var Releases = []string{"bookworm", "trixie"}

var series = map[string]string{"bookworm": "6.1", "trixie": "6.12"}

// DebianFlavour returns the kernel package flavour for an architecture and a
// release.
func DebianFlavour(a target.Arch, release string) (Flavour, error) {
	s, ok := series[release]
	if !ok {
		return Flavour{}, fmt.Errorf("unknown Debian release %q (want one of %s)", release, strings.Join(Releases, ", "))
	}
	var f Flavour
	switch a.GOARCH {
	case "amd64", "arm64":
		f = Flavour{Meta: "linux-image-cloud-" + a.Debian, Suffix: "cloud-" + a.Debian, Unsigned: true}
	case "ppc64le":
		f = Flavour{Meta: "linux-image-powerpc64le", Suffix: "powerpc64le"}
	case "riscv64":
		if release == "bookworm" {
			return Flavour{}, fmt.Errorf("debian:bookworm has no riscv64 kernel (riscv64 became a release architecture in trixie); use debian:trixie")
		}
		f = Flavour{Meta: "linux-image-riscv64", Suffix: "riscv64"}
	case "s390x":
		f = Flavour{Meta: "linux-image-s390x", Suffix: "s390x"}
	case "mips64le":
		if release != "bookworm" {
			return Flavour{}, fmt.Errorf("debian:%s has no mips64el kernel", release)
		}
		f = Flavour{Meta: "linux-image-loongson-3", Suffix: "loongson-3"}
	default:
		return Flavour{}, fmt.Errorf("no Debian kernel flavour known for %s", a.GOARCH)
	}
	f.Series = s
	return f, nil
}

// Package is one binary package stanza from apt-cache show.
type Package struct {
	Name, Version, Depends string
}

// ParsePackages parses apt-cache show output.
func ParsePackages(text string) []Package {
	var out []Package
	for _, st := range splitStanzas(text) {
		if st["package"] == "" {
			continue
		}
		out = append(out, Package{Name: st["package"], Version: st["version"], Depends: st["depends"]})
	}
	return out
}

// ImageFromDepends picks the versioned linux-image package from a
// metapackage's Depends field ("linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)").
func ImageFromDepends(depends string, f Flavour) (string, error) {
	for _, alt := range strings.FieldsFunc(depends, func(r rune) bool { return r == ',' || r == '|' }) {
		name := strings.Fields(strings.TrimSpace(alt) + " ")[0]
		name = strings.SplitN(name, ":", 2)[0]
		if imageName(f).MatchString(name) {
			return name, nil
		}
	}
	return "", fmt.Errorf("no linux-image-%s.*-%s package in Depends %q", f.Series, f.Suffix, depends)
}

// imageName matches the versioned image packages of a flavour and series,
// e.g. linux-image-6.1.0-56-cloud-amd64 or linux-image-6.12.57+deb13-riscv64.
func imageName(f Flavour) *regexp.Regexp {
	return regexp.MustCompile(`^linux-image-(` + regexp.QuoteMeta(f.Series) + `\.[0-9]+(?:-[0-9]+)?(?:\+deb[0-9]+)?)-` + regexp.QuoteMeta(f.Suffix) + `$`)
}

// ErrNotFound means the kernel package is not in the package index.
var ErrNotFound = errors.New("kernel package not found")

// ErrNotFetched means no version of the kernel could be downloaded and none
// was cached.
var ErrNotFetched = errors.New("no kernel could be fetched")

// Debian fetches Debian kernels into a cache directory.
type Debian struct {
	// Cache is the cache root (kernels/, apt/ and debs/ below it).
	Cache string
	// Refresh forces apt-get update even when the lists are recent.
	Refresh bool
	// MaxAge is how old package lists may be before they are updated
	// (default 12h).
	MaxAge time.Duration
	// Sources are the machine's apt sources (see HostSources) and
	// HostCodename its release; they give the archive URIs.
	Sources      []Source
	HostCodename string
	// Logf reports progress; may be nil.
	Logf func(format string, args ...any)
	// Modules, if set, are the KVM modules to extract instead of
	// KVMModules(a) (a variant's, e.g. kvm_pr); such a kernel is cached in
	// a directory of its own (see cacheDir).
	Modules []string
	// Tries is how many times one package version is downloaded before
	// Fetch gives up on it (default 3); Backoff is the wait after the
	// first failed try, doubled after each further one (default 5s).
	Tries   int
	Backoff time.Duration

	// now stands in for time.Now in tests (the not-in-pool memory).
	now func() time.Time
	// open and sleep stand in for apt and for waiting in tests.
	open  func(a target.Arch, release string) (archive, error)
	sleep func(ctx context.Context, d time.Duration) error
	// euid and lookupUser stand in for os.Geteuid and user.Lookup in
	// tests of apt's sandbox user.
	euid       func() int
	lookupUser func(name string) (*user.User, error)
	// noteSandbox says once that apt runs without its sandbox.
	noteSandbox sync.Once

	// mu guards resolved and failed, what this Debian learnt in this
	// process (see Fetch): a matrix boots two rows with the same kernel
	// (ppc64le and ppc64le-powernv on each release), and the second must
	// neither ask apt again nor retry what failed for the first.
	mu sync.Mutex
	// resolved maps a Fetch's arguments (fetchKey) to its outcome.
	resolved map[fetchKey]fetched
	// failed maps "<debian arch> <package>=<version>" to the download
	// that failed on every try (a *fetchError).
	failed map[string]error
}

// fetchKey is what a Fetch resolves: the architecture, release, pinned
// version ("" for the newest) and the KVM modules extracted.
type fetchKey struct {
	arch, release, version, modules string
}

// fetched is a Fetch's outcome: a kernel or the error.
type fetched struct {
	kernel *Kernel
	err    error
}

func (d *Debian) logf(format string, args ...any) {
	if d.Logf != nil {
		d.Logf(format, args...)
	}
}

// manifest is stored beside a cached kernel.
type manifest struct {
	Package string   `json:"package"`
	Version string   `json:"version"`
	Release string   `json:"release"`
	Arch    string   `json:"arch"`
	Kernel  string   `json:"kernelRelease"`
	Image   string   `json:"image"`
	Wanted  []string `json:"wanted"`
	Builtin []string `json:"builtin,omitempty"`
	Modules []Module `json:"modules"`
}

const manifestName = "kernel.json"

// readManifest decodes the manifest of the cache entry dir into m (a
// missing file's error satisfies os.IsNotExist).
func readManifest(dir string, m any) error {
	path := filepath.Join(dir, manifestName)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func loadManifest(dir, release string, wanted []string) (*Kernel, error) {
	var m manifest
	if err := readManifest(dir, &m); err != nil {
		return nil, err
	}
	if release != "" && m.Release != release {
		return nil, fmt.Errorf("%s: release %s, want %s", dir, m.Release, release)
	}
	if strings.Join(m.Wanted, ",") != strings.Join(wanted, ",") {
		return nil, fmt.Errorf("%s: cached for modules %v, want %v", dir, m.Wanted, wanted)
	}
	k := &Kernel{Label: "debian-" + m.Release, Spec: "debian:" + m.Release, Arch: m.Arch,
		Image: filepath.Join(dir, m.Image), Release: m.Kernel, Package: m.Package, Version: m.Version, Builtin: m.Builtin}
	for _, mod := range m.Modules {
		mod.Path = filepath.Join(dir, mod.Path)
		if _, err := os.Stat(mod.Path); err != nil {
			return nil, fmt.Errorf("kernel cache: %w", err)
		}
		k.Modules = append(k.Modules, mod)
	}
	if _, err := os.Stat(k.Image); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	return k, nil
}

// Cached returns the newest kernel of a release for an architecture that is
// already in the cache, without touching the network.
func Cached(cache string, a target.Arch, release string) (*Kernel, error) {
	ks := cachedKernels(cache, a, release, KVMModules(a))
	if len(ks) == 0 {
		return nil, fmt.Errorf("%w: no debian %s %s kernel in %s", ErrNotFound, release, a.Debian, cache)
	}
	return ks[0], nil
}

// cachedKernels returns the kernels of a release for an architecture in the
// cache, newest first.
func cachedKernels(cache string, a target.Arch, release string, wanted []string) []*Kernel {
	dirs, _ := filepath.Glob(filepath.Join(cache, "kernels", a.Debian, "*", manifestName))
	var out []*Kernel
	for _, m := range dirs {
		if k, err := loadManifest(filepath.Dir(m), release, wanted); err == nil {
			out = append(out, k)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return CompareVersions(out[i].Version, out[j].Version) > 0 })
	return out
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
