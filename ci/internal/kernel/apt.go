package kernel

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// archive is the package index and pool a Debian kernel comes from: apt
// with a state directory of its own in the cache (aptArchive), or a fake
// in tests.
type archive interface {
	// update refreshes the package lists when they are stale; lists
	// that were only partly fetched are a warning, not an error.
	update(ctx context.Context) error
	// candidate returns the version of a package apt would pick, or an
	// error wrapping ErrNotFound.
	candidate(ctx context.Context, name string) (Package, error)
	// versions returns every version the index names of each package in
	// names (one apt-cache call for all of them).
	versions(ctx context.Context, names []string) ([]Package, error)
	// names returns the package names that start with prefix.
	names(ctx context.Context, prefix string) ([]string, error)
	// fetch downloads one version of a package into the empty directory
	// work and unpacks it into root.
	fetch(ctx context.Context, pkg Package, work, root string) error
	// where names the package lists, for error messages.
	where() string
}

// aptArchive is apt-get and apt-cache run on a state directory of their own
// (lists, cache and sources.list below <Cache>/apt/<release>-<arch>), so
// nothing on the host is read or changed but /etc/apt's keyrings.
type aptArchive struct {
	d       *Debian
	a       target.Arch
	release string
	dir     string
	opts    []string
	// sandbox is the user apt downloads as (nil: apt's own choice, or
	// root when the options say so).
	sandbox *sandboxUser
}

// aptSandboxUser is the user apt drops to for downloads when run as root.
const aptSandboxUser = "_apt"

// sandboxUser is apt's download user.
type sandboxUser struct {
	name     string
	uid, gid int
}

func (d *Debian) apt(a target.Arch, release string) (archive, error) {
	dir := filepath.Join(d.Cache, "apt", release+"-"+a.Debian)
	for _, sub := range []string{"lists/partial", "cache/archives/partial", "sources.list.d"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("apt state dir: %w", err)
		}
	}
	// Rewritten only when it changes: apt-cache rebuilds its binary
	// cache (pkgcache.bin) when the sources list is newer than it.
	list := SourcesList(SourcesFor(d.Sources, d.HostCodename, release))
	if old, err := os.ReadFile(filepath.Join(dir, "sources.list")); err != nil || string(old) != list {
		if err := writeFileAtomic(filepath.Join(dir, "sources.list"), []byte(list)); err != nil {
			return nil, fmt.Errorf("apt state dir: %w", err)
		}
	}
	opts := []string{
		"-o", "APT::Architecture=" + a.Debian,
		"-o", "APT::Architectures=" + a.Debian,
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		// apt-cache keeps its binary cache of the lists there (built
		// once per update, 0.3 s instead of 1 s per call): Debian's
		// container images turn it off in /etc/apt/apt.conf.d
		// (docker-clean: Dir::Cache::pkgcache ""), which would parse
		// every list again for each of the calls a kernel resolution
		// makes.
		"-o", "Dir::Cache::pkgcache=pkgcache.bin",
		"-o", "Dir::State::status=/dev/null",
		"-o", "Dir::Etc::sourcelist=" + filepath.Join(dir, "sources.list"),
		"-o", "Dir::Etc::sourceparts=" + filepath.Join(dir, "sources.list.d"),
		"-o", "Acquire::Languages=none",
	}
	e := &aptArchive{d: d, a: a, release: release, dir: dir, opts: opts}
	if d.geteuid() == 0 {
		// apt as root downloads as _apt, which must reach the lists and
		// the download directories; a cache below /root (0700) it cannot
		// enter, and apt would fall back to root with a warning on
		// every call. Fall back once, and say why.
		sb, why := d.sandbox(dir)
		if sb == nil {
			e.opts = append(e.opts, "-o", "APT::Sandbox::User=root")
			d.noteSandbox.Do(func() {
				d.logf("apt downloads as root, not as its sandbox user %s: %s", aptSandboxUser, why)
			})
		}
		e.sandbox = sb
	}
	return e, nil
}

func (d *Debian) geteuid() int {
	if d.euid != nil {
		return d.euid()
	}
	return os.Geteuid()
}

// sandbox returns apt's sandbox user if it can reach dir (search every
// directory from / down), or nil and why not.
func (d *Debian) sandbox(dir string) (*sandboxUser, string) {
	lookup := d.lookupUser
	if lookup == nil {
		lookup = user.Lookup
	}
	u, err := lookup(aptSandboxUser)
	if err != nil {
		return nil, fmt.Sprintf("there is no user %s here", aptSandboxUser)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Sprintf("user %s has uid %q, gid %q", aptSandboxUser, u.Uid, u.Gid)
	}
	sb := &sandboxUser{name: aptSandboxUser, uid: uid, gid: gid}
	if why := sb.cannotReach(dir); why != "" {
		return nil, why
	}
	return sb, ""
}

// cannotReach says why the user cannot search every directory from / down
// to dir (by the mode bits), or "" if it can.
func (u *sandboxUser) cannotReach(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err.Error()
	}
	for p := abs; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return err.Error()
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return "no owner information for " + p
		}
		var search bool
		switch {
		case int(sys.Uid) == u.uid:
			search = st.Mode()&0o100 != 0
		case int(sys.Gid) == u.gid:
			search = st.Mode()&0o010 != 0
		default:
			search = st.Mode()&0o001 != 0
		}
		if !search {
			return fmt.Sprintf("%s cannot enter %s (%s, owner %d, group %d); a --cache it can reach (e.g. below /var/cache) keeps the sandbox",
				u.name, p, st.Mode(), sys.Uid, sys.Gid)
		}
		if p == filepath.Dir(p) {
			return ""
		}
	}
}

func (e *aptArchive) where() string { return e.dir }

func (e *aptArchive) run(ctx context.Context, workdir, tool string, args ...string) (string, error) {
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

func (e *aptArchive) update(ctx context.Context) error {
	stamp := filepath.Join(e.dir, "updated")
	maxAge := e.d.MaxAge
	if maxAge == 0 {
		maxAge = 12 * time.Hour
	}
	haveLists := hasPackageLists(filepath.Join(e.dir, "lists"))
	if st, err := os.Stat(stamp); err == nil && haveLists && !e.d.Refresh && time.Since(st.ModTime()) < maxAge {
		return nil
	}
	e.d.logf("apt-get update for debian %s %s", e.release, e.a.Debian)
	_, err := e.run(ctx, e.dir, "apt-get", "update")
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A mirror mid-sync can fail a secondary suite; what was fetched
		// is still usable, and apt keeps the last verified lists when a
		// signature fails. The stamp is not renewed: the next run tries
		// again instead of trusting these lists for 12 hours.
		if hasPackageLists(filepath.Join(e.dir, "lists")) {
			e.d.logf("warning: %v (continuing with the lists there are; apt-get update runs again next time)", err)
			return nil
		}
		return fmt.Errorf("package lists for debian %s %s: %w", e.release, e.a.Debian, err)
	}
	return writeFileAtomic(stamp, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"))
}

func hasPackageLists(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*_Packages*"))
	return len(m) > 0
}

func (e *aptArchive) candidate(ctx context.Context, name string) (Package, error) {
	pkgs, err := e.show(ctx, false, name)
	if err != nil {
		return Package{}, err
	}
	return pkgs[0], nil
}

func (e *aptArchive) versions(ctx context.Context, names []string) ([]Package, error) {
	if len(names) == 0 {
		return nil, nil
	}
	pkgs, err := e.show(ctx, true, names...)
	if err == nil || ctx.Err() != nil || len(names) == 1 {
		return pkgs, err
	}
	// One name apt does not know fails the whole call: ask one by one.
	var found []Package
	for _, n := range names {
		p, _ := e.show(ctx, true, n)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		found = append(found, p...)
	}
	return found, nil
}

// show returns apt-cache show's stanzas of the packages: every version
// (all) or the candidate's; ErrNotFound when there are none.
func (e *aptArchive) show(ctx context.Context, all bool, names ...string) ([]Package, error) {
	args := []string{"show"}
	if !all {
		args = append(args, "--no-all-versions")
	}
	out, err := e.run(ctx, e.dir, "apt-cache", append(args, names...)...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrNotFound, strings.Join(names, " "), err)
	}
	pkgs := ParsePackages(out)
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, strings.Join(names, " "))
	}
	return pkgs, nil
}

func (e *aptArchive) names(ctx context.Context, prefix string) ([]string, error) {
	out, err := e.run(ctx, e.dir, "apt-cache", "pkgnames", prefix)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

func (e *aptArchive) fetch(ctx context.Context, pkg Package, work, root string) error {
	args := []string{"download", pkg.Name + "=" + pkg.Version}
	if e.sandbox != nil {
		// apt-get download writes into its working directory as the
		// sandbox user, who must reach it.
		if why := e.sandbox.cannotReach(filepath.Dir(work)); why != "" {
			args = append([]string{"-o", "APT::Sandbox::User=root"}, args...)
			e.d.noteSandbox.Do(func() {
				e.d.logf("apt downloads the kernel as root, not as its sandbox user %s: %s", e.sandbox.name, why)
			})
		} else if err := os.Chown(work, e.sandbox.uid, e.sandbox.gid); err != nil {
			return fmt.Errorf("downloading %s: %w", pkg.Name, err)
		}
	}
	if _, err := e.run(ctx, work, "apt-get", args...); err != nil {
		return fmt.Errorf("downloading %s: %w", pkg.Name, err)
	}
	debs, _ := filepath.Glob(filepath.Join(work, pkg.Name+"_*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("downloading %s: expected one .deb in %s, found %d", pkg.Name, work, len(debs))
	}
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		return fmt.Errorf("dpkg not found (Debian package dpkg): %w", err)
	}
	if out, err := exec.CommandContext(ctx, dpkg, "-x", debs[0], root).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg -x %s: %w: %s", filepath.Base(debs[0]), err, strings.TrimSpace(string(out)))
	}
	return nil
}
