// Package runner ties the pieces together: for one architecture and kernel it
// fetches (or builds, for a build:<recipe> kernel) the kernel, cross-builds the conformance binary (one per
// architecture: cmd/kvmconform links every suite) and the guest init, packs
// the initramfs, boots QEMU, recovers the suites' reports from the console
// and writes the output directory; Matrix does that for every combination.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/ci/internal/frame"
	"github.com/kvmconform/kvmconform/ci/internal/gobuild"
	"github.com/kvmconform/kvmconform/ci/internal/guestconf"
	"github.com/kvmconform/kvmconform/ci/internal/initramfs"
	"github.com/kvmconform/kvmconform/ci/internal/kernel"
	"github.com/kvmconform/kvmconform/ci/internal/nice"
	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/target"
	"github.com/kvmconform/kvmconform/ci/internal/variant"
	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/internal/bundle"
	"github.com/kvmconform/kvmconform/internal/stress"
)

// Options configure a Runner.
type Options struct {
	// Cache is the kernel and apt cache directory.
	Cache string
	// Out is the base output directory; each run writes
	// <Out>/<arch>-<kernel label>/.
	Out string
	// Timeout is the host deadline for one boot.
	Timeout time.Duration
	// RunArgs are added to every kvmconform run in the guest (its filters:
	// --label-filter, --focus, --skip).
	RunArgs []string
	// SuiteDir and SuitePattern select the suites (default "." and
	// "./suites/..."): the module the conformance binary is built in and
	// the areas it runs.
	SuiteDir, SuitePattern string
	// InitDir is a directory in the kvmconform module (default ".").
	InitDir string
	// Refresh forces apt-get update.
	Refresh bool
	// Console, if set, receives the guest console live.
	Console io.Writer
	// Log receives progress messages (one per line); may be nil.
	Log io.Writer
	// Init, if set, replaces the guest init binary (tests use it to plant
	// a crashing or hanging init); the conformance binary is then not
	// built.
	Init string
	// Sources and HostCodename give the Debian archive (see
	// kernel.HostSources); empty means read them from /etc.
	Sources      []kernel.Source
	HostCodename string
	// Repeat runs each suite this many times in a row in the guest,
	// stopping at the first failing run (0 or 1: once).
	Repeat int
	// Expect are the expectations (expectations.Load: the shipped list and
	// the user's files) applied to every row: the failures they cover
	// count as Expected, not Failed.
	Expect []expectations.Expectation
	// Bundle, if set, is a kvmconform bundle (kvmconform bundle --arch A)
	// whose binary the guest runs instead of one built here, with the
	// areas its manifest names; only its architecture can boot.
	Bundle string
	// Deps installs a built kernel's missing build inputs (Debian
	// packages; kernel.Builder): scripts/deps of the kvmconform tree
	// (default <SuiteDir>/scripts/deps).
	Deps string
	// BuildTimeout bounds the build of a build:<recipe> kernel (default
	// 30 minutes).
	BuildTimeout time.Duration
	// Stress is the stress specs' budget in the guest (its
	// $KVMCONFORM_STRESS): nil is DefaultStress, stress.Full their
	// native depth.
	Stress *stress.Budget
}

// DefaultStressCap is the time cap of the stress specs' budget under QEMU
// unless Options.Stress says otherwise: each stress loop (SIG-6's kicks,
// MP-X9's repetitions) stops at its native count or after 3 s. Under TCG
// the native depth costs 20 s of kicks in every row and about 20 s of
// INIT/SIPI rounds in each amd64 row; 3 s still sends 640-1,340 kicks
// per pattern there (2,500-3,300 in the amd64 rows) and 2-4 repetitions of
// MP-X9.
const DefaultStressCap = 3 * time.Second

// DefaultStress is the budget of DefaultStressCap.
func DefaultStress() stress.Budget { return stress.Budget{Cap: DefaultStressCap} }

// stressBudget is the budget the guests get.
func (o Options) stressBudget() stress.Budget {
	if o.Stress == nil {
		return DefaultStress()
	}
	return *o.Stress
}

// Target is one boot: an architecture and a kernel.
type Target struct {
	Arch target.Arch
	// Kernel is "debian:<release>", "build:<recipe>" (a kernel the
	// runner builds, kernel.Recipe) or the path of a kernel image.
	Kernel string
	// Modules is the modules directory for a kernel image (optional).
	Modules string
	// Variant selects one of the architecture's KVM implementations
	// (package variant: "nvhe", "pr"; "" is the default). It names the
	// output directory <arch>-<kernel label>-<variant>.
	Variant string
}

// Dir is the name of the target's output directory below Options.Out.
func (t Target) Dir() string {
	d := t.Arch.GOARCH + "-" + KernelLabel(t.Kernel)
	if t.Variant != "" {
		d += "-" + t.Variant
	}
	return d
}

// kernelBuilder builds (or finds in the cache) a build:<recipe> kernel:
// kernel.Builder, or a fake in tests.
type kernelBuilder interface {
	Build(ctx context.Context, r kernel.Recipe, wanted []string) (*kernel.Kernel, error)
}

// Runner runs boots. It owns a temporary directory; call Close.
type Runner struct {
	opt    Options
	tmp    string
	build  *gobuild.Builder
	debian *kernel.Debian
	kbuild kernelBuilder
	// buildLow and kbuildLow are build and kbuild at the lowest CPU
	// priority (nice.Lowest), for the builds a matrix starts ahead of
	// its rows; nil: build and kbuild.
	buildLow  *gobuild.Builder
	kbuildLow kernelBuilder
	// built holds each GOARCH's binaries, built once (guarded by
	// buildMu; each entry's own lock is held while it is built, so that
	// one GOARCH's build does not hold up the rows of another).
	built map[string]*archBuild
	// fetchMu and kbuildMu serialise kernel downloads and kernel builds
	// when the matrix boots several rows at once (MatrixOptions.Jobs)
	// or fetches kernels ahead of its rows.
	buildMu, fetchMu, kbuildMu sync.Mutex
	// ahead is the work the running matrix started ahead of its rows
	// (nil outside Matrix).
	ahead *ahead
	// after is the clock of the boot deadline (nil: real timers); tests
	// replace it to end a boot when the guest has shown a hang.
	after func(time.Duration) <-chan time.Time
	// tmpLock holds tmp's flock (see makeTempDir).
	tmpLock *os.File
}

// archBuild is one GOARCH's binaries, b nil until they are built.
type archBuild struct {
	mu sync.Mutex
	b  *builtArch
}

type builtArch struct {
	init string
	// conform is the conformance binary, areas the suites it runs.
	conform string
	areas   []string
	// bundle describes the bundle conform came from ("" if built here).
	bundle string
}

// New returns a Runner.
func New(opt Options) (*Runner, error) {
	if opt.Timeout <= 0 {
		return nil, fmt.Errorf("timeout must be positive, got %s", opt.Timeout)
	}
	// A runner killed before its Close left its directory (tens of MB).
	swept, sweepErrs := sweepTempDirs(os.TempDir())
	tmp, lock, err := makeTempDir(os.TempDir())
	if err != nil {
		return nil, err
	}
	r := &Runner{opt: opt, tmp: tmp, tmpLock: lock, built: map[string]*archBuild{}}
	for _, d := range swept {
		r.logf("removed %s, left by a runner that is gone", d)
	}
	for _, err := range sweepErrs {
		r.logf("warning: stale temporary directory: %v", err)
	}
	r.build = &gobuild.Builder{Dir: opt.SuiteDir, Pattern: opt.SuitePattern, InitDir: opt.InitDir,
		Out: filepath.Join(tmp, "build"), Logf: r.logf}
	low := *r.build
	low.Nice = nice.Lowest
	r.buildLow = &low
	srcs, codename := opt.Sources, opt.HostCodename
	if srcs == nil {
		srcs = kernel.HostSources("/etc/apt")
	}
	if codename == "" {
		codename = kernel.HostCodename("/etc/os-release")
	}
	r.debian = &kernel.Debian{Cache: opt.Cache, Refresh: opt.Refresh, Sources: srcs, HostCodename: codename, Logf: r.logf}
	deps := opt.Deps
	if deps == "" {
		dir := opt.SuiteDir
		if dir == "" {
			dir = "."
		}
		if deps, err = filepath.Abs(filepath.Join(dir, "scripts", "deps")); err != nil {
			return nil, err
		}
	}
	kb := &kernel.Builder{Cache: opt.Cache, Deps: deps, Timeout: opt.BuildTimeout, TempDir: tmp, Logf: r.logf}
	kbLow := *kb
	kbLow.Nice = nice.Lowest
	r.kbuild, r.kbuildLow = kb, &kbLow
	return r, nil
}

// Close removes the temporary files.
func (r *Runner) Close() error {
	err := os.RemoveAll(r.tmp)
	if r.tmpLock != nil {
		r.tmpLock.Close()
	}
	return err
}

func (r *Runner) logf(format string, args ...any) {
	if r.opt.Log != nil {
		fmt.Fprintf(r.opt.Log, "ci: "+format+"\n", args...)
	}
}

// Kernel resolves a target's kernel, with the KVM modules of its variant:
// fetched from Debian, built from a recipe (the error wraps
// kernel.ErrBuildInputs when its inputs cannot be installed), or the image
// file given.
func (r *Runner) Kernel(ctx context.Context, t Target) (*kernel.Kernel, error) {
	return r.kernel(ctx, t, r.kbuild)
}

// kernel is Kernel with a build:<recipe> kernel built by kb.
func (r *Runner) kernel(ctx context.Context, t Target, kb kernelBuilder) (*kernel.Kernel, error) {
	v, err := variant.Lookup(t.Arch.GOARCH, t.Variant)
	if err != nil {
		return nil, err
	}
	if rc, ok, err := kernel.ParseBuildSpec(t.Kernel); ok {
		switch {
		case err != nil:
			return nil, fmt.Errorf("--kernel %s: %w", t.Kernel, err)
		case rc.GOARCH != t.Arch.GOARCH:
			return nil, fmt.Errorf("--kernel %s is a %s kernel, not %s", t.Kernel, rc.GOARCH, t.Arch.GOARCH)
		case t.Modules != "":
			return nil, fmt.Errorf("--modules only applies to a kernel image file, not %s", t.Kernel)
		}
		r.kbuildMu.Lock()
		defer r.kbuildMu.Unlock()
		return kb.Build(ctx, rc, v.Modules)
	}
	spec, ok, err := kernel.ParseDebianSpec(t.Kernel)
	if !ok {
		return kernel.LocalModules(ctx, t.Arch, t.Kernel, t.Modules, v.Modules)
	}
	if err != nil {
		return nil, fmt.Errorf("--kernel %s: %w", t.Kernel, err)
	}
	if t.Modules != "" {
		return nil, fmt.Errorf("--modules only applies to a kernel image file, not %s", t.Kernel)
	}
	r.fetchMu.Lock() // apt's cache and lists are not for concurrent use
	defer r.fetchMu.Unlock()
	r.debian.Modules = v.Modules // under fetchMu, like the fetch
	defer func() { r.debian.Modules = nil }()
	return r.debian.Fetch(ctx, t.Arch, spec.Release, spec.Version)
}

// KernelName is how a kernel spec is shown in tables: debian:<release>
// (with =<version> when pinned), build:<recipe> or the image file name.
func KernelName(spec string) string {
	if strings.HasPrefix(spec, "debian:") || strings.HasPrefix(spec, kernel.BuildPrefix) {
		return spec
	}
	return filepath.Base(spec)
}

// KernelLabel is the name a kernel spec gets in output paths and tables.
func KernelLabel(spec string) string {
	if s, ok, err := kernel.ParseDebianSpec(spec); ok && err == nil {
		return s.Label()
	}
	if rc, ok, err := kernel.ParseBuildSpec(spec); ok && err == nil {
		return rc.Label()
	}
	if rel, ok := strings.CutPrefix(spec, "debian:"); ok {
		return "debian-" + rel
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("/\\: \t", r) {
			return '-'
		}
		return r
	}, filepath.Base(spec))
}

// binaries returns goarch's guest init and conformance binary, built once
// (by the row that needs them first, or ahead of it by the matrix).
func (r *Runner) binaries(ctx context.Context, goarch string) (*builtArch, error) {
	return r.binariesWith(ctx, goarch, r.build)
}

// binariesWith is binaries built by gb, if they are not built yet.
func (r *Runner) binariesWith(ctx context.Context, goarch string, gb *gobuild.Builder) (*builtArch, error) {
	r.buildMu.Lock()
	if r.built == nil {
		r.built = map[string]*archBuild{}
	}
	ab := r.built[goarch]
	if ab == nil {
		ab = &archBuild{}
		r.built[goarch] = ab
	}
	r.buildMu.Unlock()
	ab.mu.Lock() // rows of one GOARCH share its build
	defer ab.mu.Unlock()
	if ab.b != nil {
		return ab.b, nil
	}
	b := &builtArch{init: r.opt.Init}
	if b.init == "" {
		var err error
		if b.init, err = gb.Init(ctx, goarch); err != nil {
			return nil, err
		}
		if r.opt.Bundle != "" {
			if err := r.fromBundle(goarch, b); err != nil {
				return nil, err
			}
			ab.b = b
			return b, nil
		}
		suites, err := gb.List(ctx, goarch)
		if err != nil {
			return nil, err
		}
		for _, s := range suites {
			b.areas = append(b.areas, s.Name)
		}
		if b.conform, err = gb.Conform(ctx, goarch); err != nil {
			return nil, err
		}
	}
	ab.b = b
	return b, nil
}

// fromBundle takes the conformance binary and the areas from the bundle.
func (r *Runner) fromBundle(goarch string, b *builtArch) error {
	bu, err := bundle.Read(r.opt.Bundle)
	if err != nil {
		return err
	}
	if bu.Manifest.GOARCH != goarch {
		return fmt.Errorf("--bundle %s is for %s, not %s", r.opt.Bundle, bu.Manifest.GOARCH, goarch)
	}
	if len(bu.Manifest.Areas) == 0 {
		return fmt.Errorf("--bundle %s: its manifest names no area", r.opt.Bundle)
	}
	dir := filepath.Join(r.tmp, "bundle", goarch)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b.conform = filepath.Join(dir, bundle.Binary)
	if err := os.WriteFile(b.conform, bu.Members[bundle.Binary], 0o755); err != nil {
		return err
	}
	b.areas = bu.Manifest.Areas
	b.bundle = fmt.Sprintf("%s (%s, %s, built %s)", r.opt.Bundle, bu.Manifest.Version, bu.Manifest.GoVersion, bu.Manifest.Built.Format(time.RFC3339))
	r.logf("using the conformance binary of %s", b.bundle)
	return nil
}

// CrossOnly builds and vets the suites for an architecture that cannot boot
// with KVM under QEMU.
func (r *Runner) CrossOnly(ctx context.Context, a target.Arch) results.Row {
	start := time.Now()
	row := results.Row{Arch: a.GOARCH, Note: a.NoKVM}
	if _, ok, err := r.ahead.take(ctx, vetJob(a.GOARCH)); ok {
		row.Err = err // the matrix built and vetted it ahead
	} else {
		row.Err = r.buildAndVet(ctx, a.GOARCH, r.build)
	}
	row.Wall = time.Since(start)
	return row
}

// buildAndVet is a cross-only GOARCH's work: its binaries, built by gb,
// and the vet of the suites for it.
func (r *Runner) buildAndVet(ctx context.Context, goarch string, gb *gobuild.Builder) error {
	if _, err := r.binariesWith(ctx, goarch, gb); err != nil {
		return err
	}
	return gb.Vet(ctx, goarch)
}

// Metadata is written to metadata.json in each output directory.
type Metadata struct {
	Arch           string `json:"arch"`
	Kernel         string `json:"kernel"`
	KernelImage    string `json:"kernelImage,omitempty"`
	KernelPackage  string `json:"kernelPackage,omitempty"`
	PackageVersion string `json:"kernelPackageVersion,omitempty"`
	KernelFallback string `json:"kernelFallback,omitempty"`
	KernelRelease  string `json:"kernelRelease,omitempty"`
	// KernelBuild says how a build:<recipe> kernel was made: the
	// recipe, the source package and version, the cache key and
	// directory, the build's log, and whether this run built it.
	KernelBuild   *kernel.Build `json:"kernelBuild,omitempty"`
	ProcVersion   string        `json:"procVersion,omitempty"`
	KVMModules    []string      `json:"kvmModules"`
	KVMBuiltin    []string      `json:"kvmBuiltin,omitempty"`
	KVMAPIVersion int           `json:"kvmApiVersion"`
	QEMU          string        `json:"qemu,omitempty"`
	QEMUCommand   []string      `json:"qemuCommand,omitempty"`
	RunArgs       []string      `json:"runArgs,omitempty"`
	Stress        string        `json:"stressBudget,omitempty"` // the guest's $KVMCONFORM_STRESS
	Bundle        string        `json:"bundle,omitempty"`
	Started       time.Time     `json:"started"`
	WallSeconds   float64       `json:"wallSeconds"`
	BootSeconds   float64       `json:"bootSeconds,omitempty"`
	// EarlierBoots are the boots of this row that did not reach the
	// guest init and were killed before the one reported.
	EarlierBoots []string          `json:"earlierBoots,omitempty"`
	Counts       results.Counts    `json:"counts"`
	Suites       []SuiteResult     `json:"suites"`
	Error        string            `json:"error,omitempty"`
	Guest        *guestconf.Meta   `json:"guest,omitempty"`
	Frames       map[string]string `json:"frameErrors,omitempty"`
	Expectations *ExpectationsMeta `json:"expectations,omitempty"`

	// Variant is the target's variant ("" for the architecture's
	// default), KVMImplementation what it runs and KVMMode the mode the
	// guest's kernel reported (arm64 vhe or nvhe, ppc64le hv or pr, with
	// the line it came from).
	Variant           string        `json:"variant,omitempty"`
	KVMImplementation string        `json:"kvmImplementation,omitempty"`
	KVMMode           *variant.Mode `json:"kvmMode,omitempty"`
}

// ExpectationsMeta is what the expectations made of a row, one line each.
type ExpectationsMeta struct {
	// Host is what they were matched against.
	Host string `json:"host"`
	// Expected, Fixed and Failed are "ID case (file:line)" for the
	// expected failures, the "fixed?" specs and (no expectation) the
	// unexpected failures.
	Expected []string `json:"expected,omitempty"`
	Fixed    []string `json:"fixed,omitempty"`
	Failed   []string `json:"failed,omitempty"`
	// Unused are the expectations that matched the host but covered
	// nothing.
	Unused []string `json:"unused,omitempty"`
}

func expectationsMeta(res *expectations.Result) *ExpectationsMeta {
	m := &ExpectationsMeta{Host: res.Host.String()}
	line := func(s expectations.Spec) string {
		l := strings.Join(s.IDs, ",") + " " + s.Text
		if s.Expectation != nil {
			l += " (" + s.Expectation.Where() + ")"
		}
		return strings.TrimSpace(l)
	}
	for _, s := range res.Specs {
		switch s.Outcome {
		case expectations.Expected:
			m.Expected = append(m.Expected, line(s))
		case expectations.Fixed:
			m.Fixed = append(m.Fixed, line(s))
		case expectations.Failed:
			m.Failed = append(m.Failed, line(s))
		}
	}
	for _, e := range res.Unused {
		m.Unused = append(m.Unused, e.String()+" ("+e.Where()+")")
	}
	return m
}

// SuiteResult is one suite's outcome.
type SuiteResult struct {
	Name     string         `json:"name"`
	Counts   results.Counts `json:"counts"`
	ExitCode int            `json:"exitCode"`
	Report   bool           `json:"report"`
}

// Boot runs one target and writes its output directory. The returned row
// carries the counts and, when the run did not complete, the error.
func (r *Runner) Boot(ctx context.Context, t Target) (row results.Row) {
	start := time.Now()
	row = results.Row{Arch: t.Arch.GOARCH, Kernel: KernelName(t.Kernel), Variant: t.Variant}
	defer func() { row.Wall = time.Since(start) }()
	// A target without a kernel (the matrix's unavailable-variant rows)
	// stands for the Debian kernels the matrix boots.
	kspec := t.Kernel
	if kspec == "" {
		kspec = "debian:"
	}
	if v, err := variant.Lookup(t.Arch.GOARCH, t.Variant); err == nil && v.UnavailableFor(kspec) != "" {
		row.Note = v.UnavailableFor(kspec)
		if v.Unavailable != "" || t.Kernel == "" { // not a matter of one kernel
			row.Kernel = ""
		}
		return row
	}

	e, err := r.resolve(ctx, t)
	if errors.Is(err, kernel.ErrBuildInputs) && ctx.Err() == nil {
		// Not the recipe's fault nor the kernel's: apt could not
		// provide what the build needs (a mirror in mid-sync), or
		// there is nobody to install it. The row says so.
		row.Note = err.Error()
		return row
	}
	if err != nil {
		row.Err = err
		return row
	}
	b, err := r.binaries(ctx, t.Arch.GOARCH)
	if err != nil {
		row.Err = err
		return row
	}

	cfg := guestconf.Config{Suites: b.areas, RunArgs: r.opt.RunArgs, BudgetSeconds: budget(r.opt.Timeout), Repeat: r.opt.Repeat,
		Stress: r.opt.stressBudget().String()}
	spec := initramfs.Spec{Init: b.init, Conform: b.conform, Config: cfg}
	argv, res, err := r.run(ctx, t, e, &spec, "")
	if err != nil && res == nil {
		row.Err = err
		return row
	}
	if err != nil { // cancelled
		row.Err = fmt.Errorf("interrupted, QEMU killed: %w", err)
	}
	k := e.kernel
	meta := Metadata{Arch: t.Arch.GOARCH, Kernel: t.Kernel, KernelImage: k.Image, KernelPackage: k.Package,
		PackageVersion: k.Version, KernelFallback: k.Fallback, KernelRelease: k.Release, KVMBuiltin: k.Builtin, KVMModules: []string{},
		QEMU: qemu.Version(ctx, e.bin), QEMUCommand: argv, RunArgs: r.opt.RunArgs, Stress: cfg.Stress, Bundle: b.bundle, Started: start.UTC(),
		Variant: t.Variant, KVMImplementation: e.variant.KVM, KernelBuild: k.Build}

	stage, serr := results.NewStage(filepath.Join(r.opt.Out, t.Dir()))
	if serr != nil {
		// The output cannot be written, but the boot's own outcome must
		// still be said: analyse into the temporary directory and report
		// both, the output's error last.
		defer func() { row.Err = errors.Join(row.Err, serr) }()
		if stage, err = results.NewStage(filepath.Join(r.tmp, "out", t.Dir())); err != nil {
			row.Err = errors.Join(row.Err, err)
			return row
		}
	}
	defer stage.Abort()

	counts, suites, verdict, gerr := r.analyse(res, spec.Config, &meta, stage, e.machine.Binary, t.Arch.GOARCH)
	row.Err = errors.Join(row.Err, gerr)
	if meta.Guest != nil {
		mode := variant.DetectMode(t.Arch.GOARCH, readFile(stage.Path("dmesg.log")), moduleNames(meta))
		if mode.Name != "" {
			meta.KVMMode = &mode
		}
		if err := e.variant.CheckMode(mode); err != nil {
			row.Err = errors.Join(row.Err, err)
		}
	}
	row.Counts = counts
	row.Expect = verdict
	if r.opt.Repeat > 1 && meta.Guest != nil {
		remark, err := repeatRemark(meta.Guest.Suites, r.opt.Repeat)
		row.Remark = remark
		row.Err = errors.Join(row.Err, err)
	}
	if k.Fallback != "" {
		row.Remark = strings.TrimSpace("kernel " + k.Version + " (fallback, see metadata.json) " + row.Remark)
	}
	if n := len(res.EarlierBoots); n > 0 {
		meta.EarlierBoots = res.EarlierBoots
		row.Remark = strings.TrimSpace(fmt.Sprintf("booted %d times (see metadata.json) ", n+1) + row.Remark)
	}
	if k.Build != nil && !k.Build.Cached {
		row.Remark = strings.TrimSpace(fmt.Sprintf("kernel %s built in %s", k.Release, (time.Duration(k.Build.Seconds)*time.Second).Round(time.Second)) + " " + row.Remark)
	}
	meta.Counts = counts
	meta.Suites = suites
	meta.WallSeconds = time.Since(start).Seconds()
	if meta.Guest != nil {
		meta.BootSeconds = meta.Guest.UptimeAtInit
	}
	if row.Err != nil {
		meta.Error = row.Err.Error()
	}
	if err := stage.WriteJSON("metadata.json", meta); err != nil {
		row.Err = errors.Join(row.Err, err)
		return row
	}
	if err := stage.Commit(); err != nil {
		row.Err = errors.Join(row.Err, err)
	} else {
		row.Dir = stage.Dir()
	}
	return row
}

// emulator is a target's QEMU and kernel, resolved before anything is
// built.
type emulator struct {
	variant variant.Variant
	machine qemu.Machine
	bin     string // the emulator's path
	kernel  *kernel.Kernel
}

// resolve finds t's emulator (it must be installed) and fetches its kernel
// (or takes the one the matrix fetched ahead).
func (r *Runner) resolve(ctx context.Context, t Target) (*emulator, error) {
	e, err := r.emulator(t)
	if err != nil {
		return nil, err
	}
	if v, ok, err := r.ahead.take(ctx, kernelJob(t)); ok {
		if err != nil {
			return nil, err
		}
		e.kernel = v.(*kernel.Kernel)
		return e, nil
	}
	if e.kernel, err = r.Kernel(ctx, t); err != nil {
		return nil, err
	}
	return e, nil
}

// emulator finds t's emulator (it must be installed), without its kernel.
func (r *Runner) emulator(t Target) (*emulator, error) {
	if !t.Arch.Bootable() {
		return nil, fmt.Errorf("%s: %s", t.Arch.GOARCH, t.Arch.NoKVM)
	}
	v, err := variant.Lookup(t.Arch.GOARCH, t.Variant)
	if err != nil {
		return nil, err
	}
	if why := v.UnavailableFor(t.Kernel); why != "" {
		return nil, errors.New(why)
	}
	m, err := qemu.For(t.Arch)
	if err != nil {
		return nil, err
	}
	m = v.Apply(m)
	bin, err := m.Check()
	if err != nil {
		return nil, err
	}
	return &emulator{variant: v, machine: m, bin: bin}, nil
}

// run completes spec (the kernel's KVM modules, whether the guest must find
// /dev/kvm), packs it into an initramfs in the temporary directory (removed
// afterwards) and runs QEMU on it until the exit marker or the deadline. It
// returns the command line and what QEMU gave back; a cancelled run
// returns both the result and the error. job names what the guest runs,
// for the log ("" for the suites).
func (r *Runner) run(ctx context.Context, t Target, e *emulator, spec *initramfs.Spec, job string) ([]string, *qemu.Result, error) {
	spec.Config.RequireKVM = e.machine.KVM
	for _, mod := range e.kernel.Modules {
		spec.Modules = append(spec.Modules, initramfs.Module{Name: mod.Name, Path: mod.Path})
	}
	name := t.Dir()
	if job != "" {
		name += "-" + job
	}
	initrd := filepath.Join(r.tmp, name+".cpio")
	defer os.Remove(initrd)
	if err := initramfs.Write(initrd, *spec); err != nil {
		return nil, nil, err
	}
	argv := e.machine.Command(e.variant.Options(qemu.Options{Kernel: e.kernel.Image, Initrd: initrd}))
	argv[0] = e.bin
	what := t.Arch.GOARCH
	if t.Variant != "" {
		what += " (variant " + t.Variant + ")"
	}
	msg := fmt.Sprintf("booting %s %s (%s) with %s", what, t.Kernel, filepath.Base(e.kernel.Image), e.machine.Binary)
	if job != "" {
		msg += " to run " + job
	}
	r.logf("%s", msg)
	opts := qemu.RunOptions{Deadline: r.opt.Timeout, Done: frame.IsExitLine, Console: r.opt.Console, After: r.after,
		Booted: isInitLine, BootDeadline: bootDeadline(r.opt.Timeout)}
	var earlier []string
	for boot := 1; ; boot++ {
		res, err := qemu.Run(ctx, argv, opts)
		if err != nil || !res.BootTimedOut || boot == maxBoots {
			if res != nil {
				res.EarlierBoots = earlier
			}
			return argv, res, err
		}
		// The kernel never reached the init: nothing of KVM or of the
		// suites ran yet. Seen once in a cold matrix (riscv64, the
		// console ending in OpenSBI's banner) while the kvm-pr kernel
		// built beside it; it booted again at once.
		note := fmt.Sprintf("boot %d did not reach the init within %s, QEMU killed (console tail: %s)", boot, opts.BootDeadline, qemu.Tail(res.Console, 3))
		r.logf("warning: %s %s: %s; booting again", what, t.Kernel, note)
		earlier = append(earlier, note)
	}
}

// maxBoots is how many times a row boots a guest whose kernel does not
// reach the init (RunOptions.BootDeadline) before it fails.
const maxBoots = 2

// bootDeadline is how long a guest may take to reach its init: half the
// row's deadline, at most 2 minutes (a boot takes 1-15 s here, skiboot's
// included).
func bootDeadline(timeout time.Duration) time.Duration { return min(timeout/2, 2*time.Minute) }

// isInitLine recognises a console line of the guest init.
func isInitLine(line string) bool { return strings.Contains(line, guestconf.InitLinePrefix) }

// budget is the guest's time for the suites: the host deadline less room for
// booting and sending the reports.
func budget(timeout time.Duration) int {
	s := int(timeout.Seconds())
	if s >= 90 {
		return s - 45
	}
	return s / 2
}

// analyse decodes the console, writes the per-suite files into the stage,
// applies the expectations to the suites' reports (the host as the suites
// recorded it, with arch as its GOARCH) and returns the counts, the
// expectations' result (nil if no suite sent a report) and the error that
// ended the run, if any.
func (r *Runner) analyse(res *qemu.Result, cfg guestconf.Config, meta *Metadata, stage *results.Stage, qemuName, arch string) (results.Counts, []SuiteResult, *expectations.Result, error) {
	var total results.Counts
	var suites []SuiteResult
	if err := stage.WriteFile("console.log", res.Console); err != nil {
		return total, nil, nil, err
	}
	if strings.TrimSpace(res.Stderr) != "" {
		if err := stage.WriteFile("qemu-stderr.log", []byte(res.Stderr)); err != nil {
			return total, nil, nil, err
		}
	}
	dec, err := frame.Decode(bytes.NewReader(res.Console))
	if err != nil {
		return total, nil, nil, err
	}
	if f, ok := dec.Get(guestconf.FrameDmesg); ok {
		if err := stage.WriteFile("dmesg.log", f.Data); err != nil {
			return total, nil, nil, err
		}
	}
	var gm *guestconf.Meta
	if f, ok := dec.Get(guestconf.FrameMeta); ok {
		gm = &guestconf.Meta{}
		if err := jsonUnmarshal(f.Data, gm); err != nil {
			gm = nil
		}
	}
	meta.Guest = gm
	if gm != nil {
		meta.KernelRelease = gm.KernelRelease
		meta.ProcVersion = gm.ProcVersion
		meta.KVMModules = append([]string{}, gm.ProcModules...)
		meta.KVMAPIVersion = gm.KVMAPIVersion
	}
	if len(dec.Errors) > 0 {
		meta.Frames = map[string]string{}
		for _, e := range dec.Errors {
			meta.Frames[e.Name] = e.Err.Error()
		}
	}

	var problems []error
	exitCodes := map[string]int{}
	if gm != nil {
		for _, s := range gm.Suites {
			exitCodes[s.Name] = s.ExitCode
		}
	}
	var all []types.Report
	for _, name := range cfg.Suites {
		sr := SuiteResult{Name: name, ExitCode: -1}
		if c, ok := exitCodes[name]; ok {
			sr.ExitCode = c
		}
		f, ok := dec.Get(name + guestconf.ReportSuffix)
		if ok {
			reports, err := results.ParseReport(f.Data)
			if err != nil {
				problems = append(problems, fmt.Errorf("suite %s: %w", name, err))
			} else {
				sr.Report = true
				// The guest's SuitePath is the binary's ("suites/abi");
				// name the suite as the runner does.
				for i := range reports {
					reports[i].SuitePath = name
				}
				all = append(all, reports...)
				if err := stage.WriteFile(name+".json", f.Data); err != nil {
					return total, suites, nil, err
				}
				if err := results.JUnit(reports, stage.Path(name+".junit.xml")); err != nil {
					return total, suites, nil, err
				}
			}
		}
		suites = append(suites, sr)
	}
	var verdict *expectations.Result
	if len(all) > 0 {
		host := rowHost(all, arch, meta)
		verdict = expectations.Apply(all, r.opt.Expect, expectations.Options{Host: &host, Suites: cfg.Suites})
		total = results.CountsOf(verdict.Counts)
		for i := range suites {
			for _, s := range verdict.Suites {
				if s.Name == suites[i].Name {
					suites[i].Counts = results.CountsOf(s.Counts)
				}
			}
		}
		meta.Expectations = expectationsMeta(verdict)
	}

	tail := qemu.Tail(res.Console, 8)
	if err := r.bootFailure(res, dec, qemuName, func(name string) bool {
		return strings.HasSuffix(name, guestconf.ReportSuffix) || name == guestconf.FrameMeta
	}); err != nil {
		return total, suites, verdict, err
	}
	if len(problems) > 0 {
		return total, suites, verdict, errors.Join(problems...)
	}
	for _, s := range suites {
		if !s.Report {
			why := fmt.Sprintf("exit status %d", s.ExitCode)
			if gm != nil {
				for _, g := range gm.Suites {
					if g.Name == s.Name && g.Error != "" {
						why += ", " + g.Error
					}
				}
			}
			return total, suites, verdict, fmt.Errorf("suite %s sent no report (%s); console tail: %s", s.Name, why, tail)
		}
	}
	return total, suites, verdict, nil
}

// rowHost is the host a row's expectations are matched against: the one
// the suites recorded in the guest (kernel release, KVM modules), else the
// guest's description in meta, with the row's GOARCH either way (the
// guest's uname -m cannot tell mips64 from mips64le).
func rowHost(reports []types.Report, arch string, meta *Metadata) expectations.Host {
	h, ok, err := expectations.HostOf(reports)
	if !ok || err != nil {
		h = expectations.Host{Kernel: meta.KernelRelease}
		for _, m := range meta.KVMModules {
			// /proc/modules lines: "kvm_amd 155648 0 - Live 0x0".
			if f := strings.Fields(m); len(f) > 0 && strings.HasPrefix(f[0], "kvm") {
				h.Modules = append(h.Modules, f[0])
			}
		}
		for _, m := range meta.KVMBuiltin {
			h.Modules = append(h.Modules, strings.ReplaceAll(m, "-", "_"))
		}
	}
	h.GOARCH = arch
	return h
}

// klogPrefix matches the "<6>" level prefixes of kernel log records.
var klogPrefix = regexp.MustCompile(`(?m)^<[0-9]+>`)

// oopsStart matches the first line of a kernel oops, BUG or fault report.
var oopsStart = regexp.MustCompile(`Oops|BUG:|kernel BUG at|general protection fault|Unable to handle kernel|Internal error:|Kernel Fault|Bad kernel access`)

// oopsWhere matches the line of an oops report naming the faulting code.
var oopsWhere = regexp.MustCompile(`RIP: |pc : |NIP |epc : |Krnl PSW|Comm: `)

// panicLine returns the kernel panic message from the console, if any, with
// the first oops report before it (its header and where it happened), and
// the console output before the oops (or the panic).
func panicLine(console []byte) (msg string, before []byte) {
	const marker = "Kernel panic - not syncing"
	i := bytes.Index(console, []byte(marker))
	if i < 0 {
		return "", nil
	}
	line := console[i:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	msg = strings.TrimSpace(string(line))
	cut := i
	if loc := oopsStart.FindIndex(console[:i]); loc != nil {
		start := loc[0]
		if j := bytes.LastIndexByte(console[:start], '\n'); j >= 0 {
			start = j + 1
		}
		cut = start
		lines := strings.Split(strings.TrimSpace(string(console[start:i])), "\n")
		parts := []string{stripTimestamp(lines[0])}
		for _, l := range lines[1:min(len(lines), 12)] {
			if oopsWhere.MatchString(l) {
				parts = append(parts, stripTimestamp(l))
			}
		}
		msg += "; first oops: " + strings.Join(parts, " / ")
	}
	before = console[:cut]
	if j := bytes.LastIndexByte(before, '\n'); j >= 0 {
		before = before[:j]
	}
	return msg, before
}

var timestamp = regexp.MustCompile(`^\s*\[\s*[0-9.]+\]\s*`)

func stripTimestamp(l string) string {
	l = strings.TrimSpace(strings.TrimRight(l, "\r"))
	l = timestamp.ReplaceAllString(l, "")
	if len(l) > 120 {
		l = l[:117] + "..."
	}
	return l
}

// bootFailure says why a boot did not complete: a host-side timeout, a
// problem the guest init reported (no /dev/kvm, ...), a damaged frame that
// matters (the frames named by vital), a kernel panic, QEMU exiting early or
// a guest that stopped without the exit marker.
func (r *Runner) bootFailure(res *qemu.Result, dec *frame.Result, qemuName string, vital func(frame string) bool) error {
	tail := qemu.Tail(res.Console, 8)
	if res.BootTimedOut {
		return fmt.Errorf("guest hang before the init: no init line within %s of each of %d boots, QEMU killed; console tail: %s", bootDeadline(r.opt.Timeout), len(res.EarlierBoots)+1, tail)
	}
	if res.TimedOut {
		return fmt.Errorf("guest hang: no exit marker within the host deadline of %s, QEMU killed; console tail: %s", r.opt.Timeout, tail)
	}
	if f, ok := dec.Get(guestconf.FrameProblem); ok {
		var p guestconf.Problem
		if err := jsonUnmarshal(f.Data, &p); err == nil {
			msg := p.Message
			if d, ok := dec.Get(guestconf.FrameDmesg); ok {
				msg += "; dmesg tail: " + qemu.Tail(klogPrefix.ReplaceAll(d.Data, nil), 6)
			}
			if p.Kind == guestconf.ProblemNoKVM {
				return errors.New(msg)
			}
			return fmt.Errorf("guest init: %s", msg)
		}
	}
	for _, e := range dec.Errors {
		if vital(e.Name) {
			return fmt.Errorf("report %s", e.Error())
		}
	}
	if !dec.ExitSeen {
		if p, before := panicLine(res.Console); p != "" {
			return fmt.Errorf("kernel panic: %s; console before it: %s", p, qemu.Tail(before, 6))
		}
		if res.ExitErr != nil {
			return fmt.Errorf("%s exited (%v) before the guest finished: %s; console tail: %s",
				qemuName, res.ExitErr, qemu.Tail([]byte(res.Stderr), 2), tail)
		}
		return fmt.Errorf("guest stopped without the exit marker (crash?); console tail: %s", tail)
	}
	return nil
}

// repeatRemark summarises repeated suite runs ("kick 50/50") and fails the
// row unless every suite passed every run.
func repeatRemark(runs []guestconf.SuiteRun, repeat int) (string, error) {
	var parts []string
	var errs []error
	for _, s := range runs {
		parts = append(parts, fmt.Sprintf("%s %d/%d", s.Name, s.Passed, repeat))
		switch {
		case s.Passed < s.Runs:
			errs = append(errs, fmt.Errorf("suite %s failed on run %d of %d after %d in a row", s.Name, s.Runs, repeat, s.Passed))
		case s.Runs < repeat:
			errs = append(errs, fmt.Errorf("suite %s ran %d of %d times before the time budget ran out", s.Name, s.Runs, repeat))
		}
	}
	return "runs passed in a row: " + strings.Join(parts, ", "), errors.Join(errs...)
}
