package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

// NewestImage picks the newest versioned image package of a flavour from a
// list of package names (apt-cache pkgnames output); used when the
// metapackage is missing.
func NewestImage(names []string, f Flavour) (string, error) {
	re := imageName(f)
	best, bestABI := "", ""
	for _, n := range names {
		m := re.FindStringSubmatch(strings.TrimSpace(n))
		if m == nil {
			continue
		}
		if best == "" || CompareVersions(m[1], bestABI) > 0 {
			best, bestABI = m[0], m[1]
		}
	}
	if best == "" {
		return "", fmt.Errorf("no linux-image-%s.*-%s package in the index", f.Series, f.Suffix)
	}
	return best, nil
}

// ErrNotFound means the kernel package is not in the package index.
var ErrNotFound = errors.New("kernel package not found")

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

type aptEnv struct {
	dir  string
	opts []string
}

func (d *Debian) apt(a target.Arch, release string) (*aptEnv, error) {
	dir := filepath.Join(d.Cache, "apt", release+"-"+a.Debian)
	for _, sub := range []string{"lists/partial", "cache/archives/partial", "sources.list.d"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("apt state dir: %w", err)
		}
	}
	list := SourcesList(SourcesFor(d.Sources, d.HostCodename, release))
	if err := writeFileAtomic(filepath.Join(dir, "sources.list"), []byte(list)); err != nil {
		return nil, fmt.Errorf("apt state dir: %w", err)
	}
	opts := []string{
		"-o", "APT::Architecture=" + a.Debian,
		"-o", "APT::Architectures=" + a.Debian,
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "Dir::State::status=/dev/null",
		"-o", "Dir::Etc::sourcelist=" + filepath.Join(dir, "sources.list"),
		"-o", "Dir::Etc::sourceparts=" + filepath.Join(dir, "sources.list.d"),
		"-o", "Acquire::Languages=none",
	}
	if os.Geteuid() == 0 {
		// The cache is usually below /root, which the _apt sandbox user
		// cannot enter.
		opts = append(opts, "-o", "APT::Sandbox::User=root")
	}
	return &aptEnv{dir: dir, opts: opts}, nil
}

func (e *aptEnv) run(ctx context.Context, workdir, tool string, args ...string) (string, error) {
	bin, err := exec.LookPath(tool)
	if err != nil {
		return "", fmt.Errorf("%s not found (Debian package apt): %w", tool, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"-q"}, e.opts...), args...)...)
	cmd.Dir = workdir
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	err = cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", tool, strings.Join(args, " "), err, firstError(stderr.String()+stdout.String()))
	}
	return stdout.String(), nil
}

// firstError returns apt's first "E:" line (or the last line).
func firstError(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "E: ") {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

func (d *Debian) update(ctx context.Context, e *aptEnv, a target.Arch, release string) error {
	stamp := filepath.Join(e.dir, "updated")
	maxAge := d.MaxAge
	if maxAge == 0 {
		maxAge = 12 * time.Hour
	}
	haveLists := hasPackageLists(filepath.Join(e.dir, "lists"))
	if st, err := os.Stat(stamp); err == nil && haveLists && !d.Refresh && time.Since(st.ModTime()) < maxAge {
		return nil
	}
	d.logf("apt-get update for debian %s %s", release, a.Debian)
	_, err := e.run(ctx, e.dir, "apt-get", "update")
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A mirror mid-sync can fail a secondary suite; what was fetched
		// is still usable.
		if hasPackageLists(filepath.Join(e.dir, "lists")) {
			d.logf("warning: %v (continuing with the lists that were fetched)", err)
		} else {
			return fmt.Errorf("package lists for debian %s %s: %w", release, a.Debian, err)
		}
	}
	return writeFileAtomic(stamp, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"))
}

func hasPackageLists(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*_Packages*"))
	return len(m) > 0
}

// show returns the candidate stanza of a package, or ErrNotFound.
func (e *aptEnv) show(ctx context.Context, name string) (Package, error) {
	out, err := e.run(ctx, e.dir, "apt-cache", "show", "--no-all-versions", name)
	if err != nil {
		if ctx.Err() != nil {
			return Package{}, ctx.Err()
		}
		return Package{}, fmt.Errorf("%w: %s: %v", ErrNotFound, name, err)
	}
	pkgs := ParsePackages(out)
	if len(pkgs) == 0 {
		return Package{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return pkgs[0], nil
}

// resolve finds the image package to download.
func (d *Debian) resolve(ctx context.Context, e *aptEnv, f Flavour, release string, a target.Arch) (Package, error) {
	var image string
	meta, err := e.show(ctx, f.Meta)
	if err == nil {
		image, err = ImageFromDepends(meta.Depends, f)
	} else if ctx.Err() == nil {
		err = fmt.Errorf("no metapackage %s", f.Meta)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Package{}, ctx.Err()
		}
		// No usable metapackage: take the newest versioned package.
		out, lerr := e.run(ctx, e.dir, "apt-cache", "pkgnames", "linux-image-")
		if lerr == nil {
			image, lerr = NewestImage(strings.Split(out, "\n"), f)
		}
		if lerr != nil {
			return Package{}, fmt.Errorf("%w for debian %s %s: %v; %v (package lists in %s)", ErrNotFound, release, a.Debian, err, lerr, e.dir)
		}
	}
	if f.Unsigned {
		if p, err := e.show(ctx, image+"-unsigned"); err == nil {
			return p, nil
		}
	}
	p, err := e.show(ctx, image)
	if err != nil {
		return Package{}, fmt.Errorf("debian %s %s: %w", release, a.Debian, err)
	}
	return p, nil
}

// Fetch returns the newest Debian kernel of a release for an architecture,
// downloading and unpacking it unless it is already cached.
func (d *Debian) Fetch(ctx context.Context, a target.Arch, release string) (*Kernel, error) {
	f, err := DebianFlavour(a, release)
	if err != nil {
		return nil, err
	}
	e, err := d.apt(a, release)
	if err != nil {
		return nil, err
	}
	if err := d.update(ctx, e, a, release); err != nil {
		if k, cerr := Cached(d.Cache, a, release); cerr == nil {
			d.logf("warning: %v; using cached %s %s", err, k.Package, k.Version)
			return k, nil
		}
		return nil, err
	}
	pkg, err := d.resolve(ctx, e, f, release, a)
	if err != nil {
		return nil, err
	}
	wanted := KVMModules(a)
	dir := filepath.Join(d.Cache, "kernels", a.Debian, pkg.Name+"_"+strings.ReplaceAll(pkg.Version, ":", "%3a"))
	if k, err := loadManifest(dir, release, wanted); err == nil {
		return k, nil
	}
	d.logf("downloading %s %s (%s)", pkg.Name, pkg.Version, a.Debian)
	if err := d.download(ctx, e, a, release, pkg, wanted, dir); err != nil {
		return nil, err
	}
	return loadManifest(dir, release, wanted)
}

func (d *Debian) download(ctx context.Context, e *aptEnv, a target.Arch, release string, pkg Package, wanted []string, dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	work, err := os.MkdirTemp(parent, ".fetch-*")
	if err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	defer os.RemoveAll(work)

	if _, err := e.run(ctx, work, "apt-get", "download", pkg.Name+"="+pkg.Version); err != nil {
		return fmt.Errorf("downloading %s: %w", pkg.Name, err)
	}
	debs, _ := filepath.Glob(filepath.Join(work, pkg.Name+"_*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("downloading %s: expected one .deb in %s, found %d", pkg.Name, work, len(debs))
	}
	root := filepath.Join(work, "root")
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		return fmt.Errorf("dpkg not found (Debian package dpkg): %w", err)
	}
	if out, err := exec.CommandContext(ctx, dpkg, "-x", debs[0], root).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg -x %s: %w: %s", filepath.Base(debs[0]), err, strings.TrimSpace(string(out)))
	}

	image, krel, err := findImage(root)
	if err != nil {
		return fmt.Errorf("%s: %w", pkg.Name, err)
	}
	var mods []Module
	var builtin []string
	if len(wanted) > 0 {
		mdir, err := findModulesDir(root, krel)
		if err != nil {
			return fmt.Errorf("%s: %w", pkg.Name, err)
		}
		if mods, builtin, err = Resolve(ctx, mdir, wanted); err != nil {
			return fmt.Errorf("%s: %w", pkg.Name, err)
		}
	}

	// Keep only what the guest needs: the image and the KVM modules.
	stage := filepath.Join(work, "stage")
	if err := os.MkdirAll(filepath.Join(stage, "modules"), 0o755); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	m := manifest{Package: pkg.Name, Version: pkg.Version, Release: release, Arch: a.GOARCH, Kernel: krel,
		Image: filepath.Base(image), Wanted: wanted, Builtin: builtin}
	if err := copyFile(image, filepath.Join(stage, m.Image)); err != nil {
		return err
	}
	for _, mod := range mods {
		rel := filepath.Join("modules", filepath.Base(mod.Path))
		if err := copyFile(mod.Path, filepath.Join(stage, rel)); err != nil {
			return err
		}
		m.Modules = append(m.Modules, Module{Name: mod.Name, Path: rel, Depends: mod.Depends})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stage, manifestName), data, 0o644); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	if err := os.Rename(stage, dir); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	return nil
}

func loadManifest(dir, release string, wanted []string) (*Kernel, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, manifestName), err)
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
	dirs, _ := filepath.Glob(filepath.Join(cache, "kernels", a.Debian, "*", manifestName))
	var best *Kernel
	for _, m := range dirs {
		k, err := loadManifest(filepath.Dir(m), release, KVMModules(a))
		if err != nil {
			continue
		}
		if best == nil || CompareVersions(k.Version, best.Version) > 0 {
			best = k
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: no debian %s %s kernel in %s", ErrNotFound, release, a.Debian, cache)
	}
	return best, nil
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
