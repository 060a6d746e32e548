package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// Fetch returns a Debian kernel of a release for an architecture,
// downloading and unpacking it unless it is already cached.
//
// With version "" it is the newest kernel of the release's series: the one
// the metapackage depends on. A download is tried Tries times with backoff;
// if that version still cannot be fetched (a mirror in mid-sync can list a
// version its pool does not have yet, or no longer has), the newest other
// version of the series that downloads or is cached is used instead (an
// older version that answers 404 is not retried), and a warning (also in
// Kernel.Fallback) names it. Only when nothing works does Fetch fail,
// naming every version it tried.
//
// A version (a Debian package version, "6.12.117-1") pins that version:
// it is used or Fetch fails; there is no fallback.
//
// Within one process a Debian resolves each architecture, release, version
// and set of KVM modules once: a later Fetch of the same returns the same
// kernel (with the same Fallback) or the same error, without apt, and a
// package version whose download failed on every try is not tried again
// for another Fetch either. An interrupted Fetch is not remembered.
func (d *Debian) Fetch(ctx context.Context, a target.Arch, release, version string) (*Kernel, error) {
	key := fetchKey{arch: a.Debian, release: release, version: version, modules: strings.Join(d.wanted(a), ",")}
	d.mu.Lock()
	prev, ok := d.resolved[key]
	d.mu.Unlock()
	if ok {
		if prev.err != nil {
			d.logf("warning: debian %s %s: %v (as before in this run; not tried again)", release, a.Debian, prev.err)
			return nil, fmt.Errorf("%w (as before in this run; not tried again)", prev.err)
		}
		if prev.kernel.Fallback != "" {
			d.logf("warning: debian %s %s: using %s %s, as before in this run: %s", release, a.Debian, prev.kernel.Package, prev.kernel.Version, prev.kernel.Fallback)
		}
		return prev.kernel.clone(), nil
	}
	k, err := d.fetch(ctx, a, release, version)
	if ctx.Err() != nil {
		return k, err
	}
	d.mu.Lock()
	if d.resolved == nil {
		d.resolved = map[fetchKey]fetched{}
	}
	d.resolved[key] = fetched{kernel: k.clone(), err: err}
	d.mu.Unlock()
	return k, err
}

// clone is a copy of k that shares nothing with it (nil for nil).
func (k *Kernel) clone() *Kernel {
	if k == nil {
		return nil
	}
	c := *k
	c.Modules = slices.Clone(k.Modules)
	c.Builtin = slices.Clone(k.Builtin)
	return &c
}

// failedKey names a package version's download in Debian.failed.
func failedKey(a target.Arch, pkg Package) string {
	return a.Debian + " " + pkg.Name + "=" + pkg.Version
}

// fetch is Fetch without the memory of this process.
func (d *Debian) fetch(ctx context.Context, a target.Arch, release, version string) (*Kernel, error) {
	f, err := DebianFlavour(a, release)
	if err != nil {
		return nil, err
	}
	cached := d.cachedOf(a, release, f)
	if version != "" {
		if k := byVersion(cached, version); k != nil {
			return k, nil
		}
	}
	open := d.open
	if open == nil {
		open = d.apt
	}
	ar, err := open(a, release)
	if err != nil {
		return nil, err
	}
	if err := ar.update(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if version == "" && len(cached) > 0 {
			k := cached[0]
			k.Fallback = fmt.Sprintf("%v; using the cached %s %s", err, k.Package, k.Version)
			d.logf("warning: %s", k.Fallback)
			return k, nil
		}
		return nil, err
	}
	if version != "" {
		return d.fetchPinned(ctx, ar, a, release, f, version)
	}
	return d.fetchNewest(ctx, ar, a, release, f, cached)
}

// failure is a version Fetch could not get and why.
type failure struct {
	pkg Package
	err error
}

// describe lists failed versions with a short reason each, for one line.
func describe(failed []failure) string {
	var parts []string
	for _, f := range failed {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", f.pkg.Name, f.pkg.Version, reason(f.err, f.pkg.Name)))
	}
	return strings.Join(parts, ", ")
}

// notInPool matches apt's answer for a file the mirror does not have.
var notInPool = regexp.MustCompile(`\b404\s+Not Found\b`)

// reason shortens a failed download to what matters: "404 Not Found" or
// apt's error line, and how many tries it took.
func reason(err error, name string) string {
	s, tries := err.Error(), ""
	var fe *fetchError
	if errors.As(err, &fe) {
		s = fe.err.Error()
		if fe.tries > 1 {
			tries = fmt.Sprintf(", %d tries", fe.tries)
		}
	}
	if fe != nil && !fe.seenAt.IsZero() {
		s = fmt.Sprintf("404 Not Found at %s, remembered: not asked again before %s (--refresh asks)",
			fe.seenAt.UTC().Format(time.RFC3339), fe.seenAt.Add(NotInPoolTTL).UTC().Format(time.RFC3339))
	} else if notInPool.MatchString(s) {
		s = "404 Not Found"
	} else if i := strings.LastIndex(s, "E: "); i >= 0 {
		s = s[i+len("E: "):]
	} else {
		s = strings.TrimPrefix(s, "downloading "+name+": ")
	}
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s + tries
}

// fetchError is a download that failed on each of its tries.
type fetchError struct {
	err    error
	tries  int
	seenAt time.Time // a 404 remembered from this time (poolMemo), not asked for now
}

func (e *fetchError) Error() string {
	if e.tries > 1 {
		return fmt.Sprintf("%v (%d tries)", e.err, e.tries)
	}
	return e.err.Error()
}

func (e *fetchError) Unwrap() error { return e.err }

// choice is a version Fetch may fall back to: in the index (pkg), in the
// cache (k), or both.
type choice struct {
	pkg Package
	k   *Kernel
}

func (c choice) version() string {
	if c.k != nil {
		return c.k.Version
	}
	return c.pkg.Version
}

func (d *Debian) fetchNewest(ctx context.Context, ar archive, a target.Arch, release string, f Flavour, cached []*Kernel) (*Kernel, error) {
	var failed []failure
	first, metaErr := metaImage(ctx, ar, f)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if metaErr == nil {
		k, err := d.get(ctx, ar, a, release, first, cached, false)
		if err == nil {
			return k, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		failed = append(failed, failure{first, err})
	}

	// The newest version failed, or there is no usable metapackage: every
	// other version of the series the index names or the cache holds,
	// newest first.
	index, indexErr := indexImages(ctx, ar, f)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var choices []choice
	seen := map[string]bool{}
	if metaErr == nil {
		seen[first.Version] = true
	}
	for _, p := range index {
		if !seen[p.Version] {
			seen[p.Version] = true
			choices = append(choices, choice{pkg: p, k: byVersion(cached, p.Version)})
		}
	}
	for _, k := range cached {
		if !seen[k.Version] {
			seen[k.Version] = true
			choices = append(choices, choice{k: k})
		}
	}
	sort.SliceStable(choices, func(i, j int) bool { return CompareVersions(choices[i].version(), choices[j].version()) > 0 })

	for i, c := range choices {
		k := c.k
		if k == nil {
			// Without a metapackage the first choice is the newest:
			// it gets every try.
			older := metaErr == nil || i > 0
			var err error
			if k, err = d.get(ctx, ar, a, release, c.pkg, nil, older); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				failed = append(failed, failure{c.pkg, err})
				continue
			}
		}
		if len(failed) > 0 {
			from := ""
			if c.k != nil {
				from = " from the cache"
			}
			k.Fallback = fmt.Sprintf("could not fetch %s; using %s %s%s instead", describe(failed), k.Package, k.Version, from)
			d.logf("warning: debian %s %s: %s", release, a.Debian, k.Fallback)
		}
		return k, nil
	}
	if len(failed) == 0 {
		return nil, fmt.Errorf("%w for debian %s %s: %v; %v (package lists in %s)", ErrNotFound, release, a.Debian, metaErr, indexErr, ar.where())
	}
	return nil, fmt.Errorf("debian %s %s: %w: tried %s; no other linux-image-%s.* version in the package index or in the cache (%s)",
		release, a.Debian, ErrNotFetched, describe(failed), f.Series, filepath.Join(d.Cache, "kernels", a.Debian))
}

func (d *Debian) fetchPinned(ctx context.Context, ar archive, a target.Arch, release string, f Flavour, version string) (*Kernel, error) {
	index, err := indexImages(ctx, ar, f)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var have []string
	for _, p := range index {
		if p.Version != version {
			have = append(have, p.Version)
			continue
		}
		k, err := d.get(ctx, ar, a, release, p, nil, false)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("debian %s %s: the pinned %s %s could not be fetched (no fallback when a version is given): %v", release, a.Debian, p.Name, version, err)
		}
		return k, nil
	}
	names := "no version"
	if err != nil {
		names = err.Error()
	} else if len(have) > 0 {
		names = strings.Join(have, ", ")
	}
	return nil, fmt.Errorf("%w for debian %s %s: version %s of linux-image-%s.*-%s is not in the package index, which has %s (package lists in %s)",
		ErrNotFound, release, a.Debian, version, f.Series, f.Suffix, names, ar.where())
}

// metaImage returns the image package the metapackage depends on (its
// -unsigned variant where f prefers it), at the version apt would pick.
func metaImage(ctx context.Context, ar archive, f Flavour) (Package, error) {
	meta, err := ar.candidate(ctx, f.Meta)
	if err != nil {
		return Package{}, fmt.Errorf("no metapackage %s", f.Meta)
	}
	image, err := ImageFromDepends(meta.Depends, f)
	if err != nil {
		return Package{}, err
	}
	if f.Unsigned {
		if p, err := ar.candidate(ctx, image+"-unsigned"); err == nil {
			return p, nil
		}
	}
	return ar.candidate(ctx, image)
}

// indexImages returns the image packages of f's series that the index
// names, one per version (the -unsigned variant where f prefers it), newest
// first.
func indexImages(ctx context.Context, ar archive, f Flavour) ([]Package, error) {
	names, err := ar.names(ctx, "linux-image-")
	if err != nil {
		return nil, err
	}
	re := imageName(f)
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	var bases []string
	isBase := map[string]bool{}
	for _, n := range names {
		base := n
		if f.Unsigned {
			base = strings.TrimSuffix(n, "-unsigned")
		}
		if !isBase[base] && re.MatchString(base) {
			isBase[base] = true
			bases = append(bases, base)
		}
	}
	var query []string
	for _, base := range bases {
		for _, name := range []string{base + "-unsigned", base} {
			if have[name] && (name == base || f.Unsigned) {
				query = append(query, name)
			}
		}
	}
	pkgs, _ := ar.versions(ctx, query)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// One package per version: the -unsigned variant where f prefers it.
	byVersion := map[string]Package{}
	for _, p := range pkgs {
		base := p.Name
		if f.Unsigned {
			base = strings.TrimSuffix(p.Name, "-unsigned")
		}
		if !isBase[base] {
			continue
		}
		if old, ok := byVersion[p.Version]; !ok || (p.Name != base && old.Name == base) {
			byVersion[p.Version] = p
		}
	}
	var out []Package
	for _, p := range byVersion {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return CompareVersions(out[i].Version, out[j].Version) > 0 })
	if len(out) == 0 {
		return nil, fmt.Errorf("no linux-image-%s.*-%s package in the index", f.Series, f.Suffix)
	}
	return out, nil
}

// cachedOf returns the cached kernels of a release and architecture that
// belong to flavour f (and so to its series), newest first.
func (d *Debian) cachedOf(a target.Arch, release string, f Flavour) []*Kernel {
	re := imageName(f)
	var out []*Kernel
	for _, k := range cachedKernels(d.Cache, a, release, d.wanted(a)) {
		if re.MatchString(strings.TrimSuffix(k.Package, "-unsigned")) {
			out = append(out, k)
		}
	}
	return out
}

func byVersion(ks []*Kernel, version string) *Kernel {
	for _, k := range ks {
		if k.Version == version {
			return k
		}
	}
	return nil
}

// get returns pkg from the cache, or downloads it there. A fallback
// version that the pool does not have (404) is not tried again: unlike the
// newest, it is not about to arrive.
func (d *Debian) get(ctx context.Context, ar archive, a target.Arch, release string, pkg Package, cached []*Kernel, fallback bool) (*Kernel, error) {
	if k := byVersion(cached, pkg.Version); k != nil {
		return k, nil
	}
	wanted := d.wanted(a)
	dir := filepath.Join(d.Cache, "kernels", a.Debian, cacheDir(pkg, wanted, KVMModules(a)))
	if k, err := loadManifest(dir, release, wanted); err == nil {
		return k, nil
	}
	key := failedKey(a, pkg)
	d.mu.Lock()
	prev := d.failed[key]
	d.mu.Unlock()
	if prev != nil {
		return nil, prev
	}
	memo := d.notInPoolMemo(a.Debian)
	if !d.Refresh {
		if err := memo.seen(pkg); err != nil {
			return nil, err // the fallback's warning says it
		}
	}
	d.logf("downloading %s %s (%s)", pkg.Name, pkg.Version, a.Debian)
	if err := d.download(ctx, ar, a, release, pkg, wanted, dir, fallback); err != nil {
		var fe *fetchError
		if errors.As(err, &fe) {
			// Failed on every try: not tried again in this process,
			// and, when the pool does not have it, not by the runs
			// of the next hours either.
			d.mu.Lock()
			if d.failed == nil {
				d.failed = map[string]error{}
			}
			d.failed[key] = err
			d.mu.Unlock()
			if notInPool.MatchString(err.Error()) {
				if merr := memo.update(pkg, true); merr != nil {
					d.logf("warning: %v", merr)
				}
			}
		}
		return nil, err
	}
	if err := memo.update(pkg, false); err != nil {
		d.logf("warning: %v", err)
	}
	return loadManifest(dir, release, wanted)
}

// fetchRetrying runs ar.fetch up to Tries times, waiting Backoff (doubled
// each time) in between, and returns the unpacked tree below work. With
// final404 a 404 ends it at once.
func (d *Debian) fetchRetrying(ctx context.Context, ar archive, pkg Package, work string, final404 bool) (string, error) {
	tries, wait := d.Tries, d.Backoff
	if tries <= 0 {
		tries = 3
	}
	if wait <= 0 {
		wait = 5 * time.Second
	}
	for i := 1; ; i++ {
		try := filepath.Join(work, fmt.Sprintf("try%d", i))
		if err := os.Mkdir(try, 0o755); err != nil {
			return "", fmt.Errorf("kernel cache: %w", err)
		}
		root := filepath.Join(try, "root")
		err := ar.fetch(ctx, pkg, try, root)
		if err == nil {
			return root, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if i >= tries || final404 && notInPool.MatchString(err.Error()) {
			return "", &fetchError{err: err, tries: i}
		}
		d.logf("warning: %v; trying again in %s (try %d of %d)", err, wait, i+1, tries)
		if err := d.pause(ctx, wait); err != nil {
			return "", err
		}
		wait *= 2
	}
}

func (d *Debian) pause(ctx context.Context, wait time.Duration) error {
	if d.sleep != nil {
		return d.sleep(ctx, wait)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// download fetches pkg and keeps what the guest needs in the cache
// directory dir: the image, the KVM modules and a manifest.
func (d *Debian) download(ctx context.Context, ar archive, a target.Arch, release string, pkg Package, wanted []string, dir string, fallback bool) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	work, err := os.MkdirTemp(parent, ".fetch-*")
	if err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	defer os.RemoveAll(work)
	// apt's sandbox user downloads into a directory below it.
	if err := os.Chmod(work, 0o755); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}

	root, err := d.fetchRetrying(ctx, ar, pkg, work, fallback)
	if err != nil {
		return err
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
	return replaceDir(stage, dir)
}

// replaceDir puts the staged cache entry stage in place of dir.
func replaceDir(stage, dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	if err := os.Rename(stage, dir); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	return nil
}
