package kernel

import (
	"bufio"
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
	"syscall"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/nice"
	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// ErrBuildInputs means a kernel recipe's build inputs (its source package,
// the cross compiler, the tools) are not installed and could not be: apt
// could not provide them (a mirror in mid-sync), or there is no root or
// sudo to install them. The runner shows such a row as a note; a build that
// started and failed is an error, not this.
var ErrBuildInputs = errors.New("its build inputs cannot be had")

// Build says how a kernel built from a recipe was made (metadata.json
// "kernelBuild").
type Build struct {
	// Recipe is the recipe's name; Config and Script its files.
	Recipe string `json:"recipe"`
	Config string `json:"config"`
	Script string `json:"script"`
	// Source and SourceVersion are the Debian package of the source and
	// its version.
	Source        string `json:"source"`
	SourceVersion string `json:"sourceVersion"`
	// Key is the cache key (Recipe.Key); Dir the cached build.
	Key string `json:"key"`
	Dir string `json:"dir"`
	// Log is the build's log (in Dir).
	Log string `json:"log"`
	// Built is when it was built and Seconds how long it took.
	Built   time.Time `json:"built"`
	Seconds float64   `json:"seconds"`
	// Cached is set when this run took the build from the cache.
	Cached bool `json:"cached"`
}

// Builder builds kernels from their recipes into a cache directory
// (<Cache>/kernels/build/<recipe>_<source version>_<key>/), so that a
// kernel is built once for each cache key.
type Builder struct {
	// Cache is the cache root (as Debian's).
	Cache string
	// Deps is the program that installs Debian packages, run as Deps
	// --only PACKAGE... for the missing build inputs: scripts/deps of the
	// kvmconform tree.
	Deps string
	// Timeout bounds one build (default 30 minutes), InstallTimeout the
	// installation of its inputs (default 15 minutes).
	Timeout, InstallTimeout time.Duration
	// TempDir is where the source is unpacked and built (default
	// os.TempDir()); the tree is removed afterwards.
	TempDir string
	// Logf reports progress; may be nil.
	Logf func(format string, args ...any)
	// Nice, if positive, is the build script's niceness (package nice):
	// a matrix builds the kernel while its other rows run, and the
	// compilers must not take the CPUs from their guests. The installer
	// runs at the caller's priority.
	Nice int

	// installed and run stand in for dpkg-query and for running the
	// installer and the build script in tests.
	installed func(ctx context.Context, pkgs []string) (map[string]string, error)
	run       func(ctx context.Context, log io.Writer, name string, args ...string) error
}

func (b *Builder) logf(format string, args ...any) {
	if b.Logf != nil {
		b.Logf(format, args...)
	}
}

func (b *Builder) root() string { return filepath.Join(b.Cache, "kernels", "build") }

// Dir is where the build of r with its source at sourceVersion is cached.
func (b *Builder) Dir(r Recipe, sourceVersion string) string {
	return filepath.Join(b.root(), r.Name+"_"+sanitize(sourceVersion)+"_"+r.Key(sourceVersion)[:12])
}

// Build returns the kernel of recipe r with the KVM modules wanted (nil:
// the architecture's KVMModules), from the cache or built now.
//
// The source package's installed version completes the cache key; a
// cached build with that key is used as it is, with nothing installed or
// built. Otherwise the missing build inputs are installed with Deps (when
// that fails, the error wraps ErrBuildInputs), the recipe's script runs,
// bounded by Timeout, with its output in a log file, and the result is
// cached. A build that fails or runs out of time is an error naming the
// log, which stays in the cache (<dir>.log).
func (b *Builder) Build(ctx context.Context, r Recipe, wanted []string) (*Kernel, error) {
	a, err := target.Parse(r.GOARCH)
	if err != nil {
		return nil, err
	}
	if wanted == nil {
		wanted = KVMModules(a)
	}
	have, err := b.installedVersions(ctx, r.Packages)
	if err != nil {
		return nil, fmt.Errorf("%s not built: %w: %v", r.What, ErrBuildInputs, err)
	}
	if v := have[r.Source]; v != "" {
		if k, err := b.load(ctx, r, v, wanted); err == nil {
			return k, nil
		}
	}
	if have, err = b.inputs(ctx, r, have); err != nil {
		return nil, err
	}
	version := have[r.Source]
	if k, err := b.load(ctx, r, version, wanted); err == nil {
		return k, nil
	}
	if st, err := os.Stat(r.Tarball); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s %s is installed, but its tarball %s is not there (%v)", r.What, r.Source, version, r.Tarball, err)
	}
	if err := b.build(ctx, r, version); err != nil {
		return nil, err
	}
	k, err := b.load(ctx, r, version, wanted)
	if err != nil {
		return nil, fmt.Errorf("%s: the build's result: %w", r.What, err)
	}
	k.Build.Cached = false
	return k, nil
}

// inputs installs what of r's build inputs is not in have (the installed
// versions) and returns the installed versions afterwards.
func (b *Builder) inputs(ctx context.Context, r Recipe, have map[string]string) (map[string]string, error) {
	var missing []string
	for _, p := range r.Packages {
		if have[p] == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return have, nil
	}
	if err := b.install(ctx, r, missing); err != nil {
		return nil, err
	}
	have, err := b.installedVersions(ctx, r.Packages)
	if err != nil {
		return nil, fmt.Errorf("%s not built: %w: %v", r.What, ErrBuildInputs, err)
	}
	for _, p := range missing {
		if have[p] == "" {
			return nil, fmt.Errorf("%s: %s --only %s succeeded, but %s is still not installed", r.What, b.Deps, strings.Join(missing, " "), p)
		}
	}
	return have, nil
}

// installedVersions returns the version of each package in pkgs that is
// installed.
func (b *Builder) installedVersions(ctx context.Context, pkgs []string) (map[string]string, error) {
	if b.installed != nil {
		return b.installed(ctx, pkgs)
	}
	return dpkgInstalled(ctx, pkgs)
}

// dpkgInstalled asks dpkg-query which of pkgs are installed, and at which
// version.
func dpkgInstalled(ctx context.Context, pkgs []string) (map[string]string, error) {
	bin, err := exec.LookPath("dpkg-query")
	if err != nil {
		return nil, fmt.Errorf("dpkg-query not found (not a Debian system?): %w", err)
	}
	// Exit status 1 names packages dpkg has never heard of; the others
	// are still listed.
	out, _ := exec.CommandContext(ctx, bin, append([]string{"-W", "-f=${Package}\t${db:Status-Abbrev}\t${Version}\n"}, pkgs...)...).Output()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	have := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 && strings.HasPrefix(f[1], "ii") && f[2] != "" {
			have[strings.SplitN(f[0], ":", 2)[0]] = f[2]
		}
	}
	return have, nil
}

// install runs Deps --only with the missing packages; its output goes to
// <root>/<recipe>.install.log.
func (b *Builder) install(ctx context.Context, r Recipe, missing []string) error {
	cmdline := b.Deps + " --only " + strings.Join(missing, " ")
	if b.Deps == "" {
		return fmt.Errorf("%s: not installed: %s, and no installer (scripts/deps) to install them", r.What, strings.Join(missing, " "))
	}
	if err := os.MkdirAll(b.root(), 0o755); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	logPath := filepath.Join(b.root(), r.Name+".install.log")
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	defer log.Close()
	b.logf("installing the build inputs of %s: %s", r.What, cmdline)
	timeout := b.InstallTimeout
	if timeout <= 0 {
		timeout = 15 * time.Minute
	}
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = b.exec(ictx, log, syscall.SIGTERM, 0, b.Deps, append([]string{"--only"}, missing...)...)
	log.Close()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("installing the build inputs of %s: %w", r.What, ctx.Err())
	case ictx.Err() != nil:
		// A stuck install is not a mirror's answer: fail the row.
		return fmt.Errorf("installing the build inputs of %s (%s) did not finish within %s; log: %s", r.What, cmdline, timeout, logPath)
	}
	return fmt.Errorf("%s not built: %w: %s failed (%v): %s; log: %s", r.What, ErrBuildInputs, cmdline, err, installReason(logPath), logPath)
}

// installReason is apt's or scripts/deps' own first error line in an
// installer's log, else its last line.
func installReason(logPath string) string {
	data, _ := os.ReadFile(logPath)
	var last string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "E: ") || strings.Contains(l, "need root") || strings.HasPrefix(l, "sudo: ") {
			return l
		}
		if l != "" {
			last = l
		}
	}
	if last == "" {
		return "(no output)"
	}
	return last
}

// build runs r's script into a staging directory in the cache and renames
// it into place.
func (b *Builder) build(ctx context.Context, r Recipe, version string) error {
	dir := b.Dir(r, version)
	if err := os.MkdirAll(b.root(), 0o755); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	logPath := dir + ".log"
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	defer log.Close()
	stage, err := os.MkdirTemp(b.root(), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	defer os.RemoveAll(stage)
	if err := os.Chmod(stage, 0o755); err != nil { // MkdirTemp's 0700
		return fmt.Errorf("kernel cache: %w", err)
	}
	tmp := b.TempDir
	if tmp == "" {
		tmp = os.TempDir()
	}
	work, err := os.MkdirTemp(tmp, "kvmconform-kernel-"+r.Name+"-*")
	if err != nil {
		return fmt.Errorf("kernel build: %w", err)
	}
	defer os.RemoveAll(work)
	script, config, src := filepath.Join(work, r.Name+".sh"), filepath.Join(work, r.Name+".config"), filepath.Join(work, "src")
	for _, f := range []struct {
		path string
		data []byte
	}{{script, r.Script}, {config, r.Config}} {
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return fmt.Errorf("kernel build: %w", err)
		}
	}
	if err := os.Mkdir(src, 0o755); err != nil {
		return fmt.Errorf("kernel build: %w", err)
	}

	timeout := b.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	b.logf("building %s (%s %s), %s; cached in %s (log: %s)", r.What, r.Source, version, r.About, dir, logPath)
	fmt.Fprintf(log, "# %s: %s %s, %s and %s, key %s\n", r.What, r.Source, version, r.ConfigFile(), r.ScriptFile(), r.Key(version))
	start := time.Now()
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = b.exec(bctx, log, syscall.SIGKILL, b.Nice, "bash", script, r.Tarball, config, src, stage)
	elapsed := time.Since(start)
	fmt.Fprintf(log, "# exit: %v after %s\n", err, elapsed.Round(time.Second))
	log.Close()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return fmt.Errorf("building %s: %w; log: %s", r.What, ctx.Err(), logPath)
	case bctx.Err() != nil:
		return fmt.Errorf("building %s did not finish within %s (killed); log: %s", r.What, timeout, logPath)
	default:
		return fmt.Errorf("building %s failed (%v): %s; log: %s", r.What, err, buildReason(logPath, r.Name+".sh"), logPath)
	}

	images, _ := filepath.Glob(filepath.Join(stage, "vmlinux-*"))
	if len(images) != 1 {
		return fmt.Errorf("building %s: %s wrote %d vmlinux-* files, want 1; log: %s", r.What, r.ScriptFile(), len(images), logPath)
	}
	rel := strings.TrimPrefix(filepath.Base(images[0]), "vmlinux-")
	mods, _ := filepath.Glob(filepath.Join(stage, "modules", "*.ko"))
	if len(mods) == 0 {
		return fmt.Errorf("building %s: %s wrote no modules/*.ko; log: %s", r.What, r.ScriptFile(), logPath)
	}
	m := builtManifest{Recipe: r.Name, Key: r.Key(version), Source: r.Source, SourceVersion: version, GOARCH: r.GOARCH,
		KernelRelease: rel, Image: filepath.Base(images[0]), Config: "config-" + rel,
		Built: start.UTC(), Seconds: elapsed.Seconds()}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stage, manifestName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	if err := os.Rename(logPath, filepath.Join(stage, buildLog)); err != nil {
		return fmt.Errorf("kernel cache: %w", err)
	}
	return replaceDir(stage, dir)
}

// buildLog is the build's log in its cache directory.
const buildLog = "build.log"

// reasonLine matches the lines of a build log that say what went wrong:
// the compiler's and linker's errors and the script's own messages.
var reasonLine = regexp.MustCompile(`\berror:|\bError:|undefined reference|No rule to make target|command not found`)

// buildReason is the first line of a failed build's log that says what
// went wrong, else its last line.
func buildReason(logPath, script string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		if reasonLine.MatchString(l) || strings.HasPrefix(l, script+": ") {
			return truncate(l, 240)
		}
		last = l
	}
	if last == "" {
		return "(no output)"
	}
	return truncate(last, 240)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

// exec runs a program in a session of its own (no terminal: sudo cannot
// stop to ask for a password) at niceness prio (0: the caller's) with its
// output into log; when ctx ends, its whole process group gets sig (make's
// children too).
func (b *Builder) exec(ctx context.Context, log io.Writer, sig syscall.Signal, prio int, name string, args ...string) error {
	if b.run != nil {
		return b.run(ctx, log, name, args...)
	}
	name, args = nice.Command(prio, name, args...)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, sig) }
	cmd.WaitDelay = 30 * time.Second
	return cmd.Run()
}

// builtManifest is stored beside a built kernel.
type builtManifest struct {
	Recipe        string    `json:"recipe"`
	Key           string    `json:"key"`
	Source        string    `json:"source"`
	SourceVersion string    `json:"sourceVersion"`
	GOARCH        string    `json:"goarch"`
	KernelRelease string    `json:"kernelRelease"`
	Image         string    `json:"image"`
	Config        string    `json:"config"`
	Built         time.Time `json:"built"`
	Seconds       float64   `json:"seconds"`
}

// load returns the cached build of r with its source at version, with the
// wanted modules resolved among the ones it built.
func (b *Builder) load(ctx context.Context, r Recipe, version string, wanted []string) (*Kernel, error) {
	dir := b.Dir(r, version)
	var m builtManifest
	if err := readManifest(dir, &m); err != nil {
		return nil, err
	}
	if m.Key != r.Key(version) {
		return nil, fmt.Errorf("%s: key %s, want %s", dir, m.Key, r.Key(version))
	}
	image := filepath.Join(dir, m.Image)
	if st, err := os.Stat(image); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("kernel cache: %s: not a file (%v)", image, err)
	}
	mods, builtin, err := Resolve(ctx, filepath.Join(dir, "modules"), wanted)
	if err != nil {
		return nil, err
	}
	return &Kernel{Label: r.Label(), Spec: r.Spec(), Arch: r.GOARCH, Image: image, Release: m.KernelRelease,
		Package: r.Source, Version: version, Modules: mods, Builtin: builtin,
		Build: &Build{Recipe: r.Name, Config: r.ConfigFile(), Script: r.ScriptFile(), Source: r.Source, SourceVersion: version,
			Key: m.Key, Dir: dir, Log: filepath.Join(dir, buildLog), Built: m.Built, Seconds: m.Seconds, Cached: true}}, nil
}

// Config runs only the configuration step of r's script (--config-only),
// with its inputs installed as for Build, and copies the resulting
// config-<release> into outDir; nothing is cached. It returns the file.
func (b *Builder) Config(ctx context.Context, r Recipe, outDir string) (string, error) {
	have, err := b.installedVersions(ctx, r.Packages)
	if err != nil {
		return "", fmt.Errorf("%s: %w: %v", r.What, ErrBuildInputs, err)
	}
	if _, err := b.inputs(ctx, r, have); err != nil {
		return "", err
	}
	tmp := b.TempDir
	if tmp == "" {
		tmp = os.TempDir()
	}
	work, err := os.MkdirTemp(tmp, "kvmconform-kernel-"+r.Name+"-*")
	if err != nil {
		return "", fmt.Errorf("kernel config: %w", err)
	}
	defer os.RemoveAll(work)
	script, config, src, out := filepath.Join(work, r.Name+".sh"), filepath.Join(work, r.Name+".config"), filepath.Join(work, "src"), filepath.Join(work, "out")
	if err := errors.Join(os.WriteFile(script, r.Script, 0o644), os.WriteFile(config, r.Config, 0o644), os.Mkdir(src, 0o755)); err != nil {
		return "", fmt.Errorf("kernel config: %w", err)
	}
	var log bytes.Buffer
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := b.exec(cctx, &log, syscall.SIGKILL, 0, "bash", script, r.Tarball, config, src, out, "--config-only"); err != nil {
		return "", fmt.Errorf("configuring %s failed (%v): %s", r.What, err, truncate(strings.TrimSpace(log.String()), 2000))
	}
	cfgs, _ := filepath.Glob(filepath.Join(out, "config-*"))
	if len(cfgs) != 1 {
		return "", fmt.Errorf("configuring %s: %s wrote %d config-* files, want 1", r.What, r.ScriptFile(), len(cfgs))
	}
	dst := filepath.Join(outDir, filepath.Base(cfgs[0]))
	if err := copyFile(cfgs[0], dst); err != nil {
		return "", err
	}
	return dst, nil
}
