// Command ci runs the conformance suites inside QEMU guests whose kernels run
// KVM nested under TCG, one architecture and kernel at a time or as the CI
// matrix.
//
//	go run ./ci run --arch arm64 --kernel debian:bookworm
//	go run ./ci run --arch ppc64le --kernel debian:trixie=6.12.117-1
//	go run ./ci run --arch amd64 --kernel ./vmlinuz --modules ./lib/modules/6.9.0
//	go run ./ci run --arch arm64 --variant nvhe
//	go run ./ci run --arch ppc64le --variant pr    # --kernel build:ppc64le-pr, built here
//	go run ./ci run --matrix
//	go run ./ci run --arch arm64 --bundle kvmconform-arm64.tar.gz
//	go run ./ci kernel build:ppc64le-pr
//
// The guest runs the one conformance binary (cmd/kvmconform, cross-built
// for the architecture): one kvmconform run for every suite, each area in
// a process of its own, the stress specs under the --stress budget (3 s
// per stress loop unless --stress full).
// Results go to out/qemu/<arch>-<kernel>[-<variant>]/: each suite's Ginkgo JSON report
// and JUnit XML, console.log, dmesg.log and metadata.json.
//
// A build:<recipe> kernel (ci/kernels) is built from Debian's source
// package, its build inputs installed with scripts/deps, and cached below
// the cache directory under a key over the source's version, the config
// and the build script; ci kernel builds one without booting it.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/ci/internal/kernel"
	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/runner"
	"github.com/kvmconform/kvmconform/ci/internal/target"
	"github.com/kvmconform/kvmconform/ci/internal/variant"
	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/internal/bundle"
	"github.com/kvmconform/kvmconform/internal/stress"
	"github.com/kvmconform/kvmconform/reports"
)

const usage = `usage: go run ./ci run [flags]

Runs the suites under QEMU with nested KVM and writes reports to
<out>/<arch>-<kernel>/. Either --arch (with --kernel) or --matrix.

flags:
`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks bad command lines (exit status 2).
var errUsage = errors.New("usage")

type config struct {
	arch            target.Arch
	kernel, modules string
	variant         string
	ginkgoArgs      string
	labelFilter     string
	focus, skip     []string
	matrix, verbose bool
	jobs            int
	shard           string
	stress          string
	matrixOpt       runner.MatrixOptions
	expectFiles     []string
	opt             runner.Options
}

func parse(args []string, stderr io.Writer) (*config, error) {
	if len(args) == 0 || args[0] != "run" {
		fs := newFlags(&config{}, stderr)
		fs.SetOutput(stderr)
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		if len(args) == 0 {
			return nil, fmt.Errorf("%w: missing command \"run\"", errUsage)
		}
		return nil, fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	c := &config{}
	fs := newFlags(c, stderr)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	ga, err := splitArgs(c.ginkgoArgs)
	if err != nil {
		return nil, fmt.Errorf("%w: --ginkgo-args: %v", errUsage, err)
	}
	runArgs, err := translateGinkgoArgs(ga)
	if err != nil {
		return nil, fmt.Errorf("%w: --ginkgo-args: %v", errUsage, err)
	}
	if c.labelFilter != "" {
		if slices.ContainsFunc(runArgs, func(a string) bool { return strings.HasPrefix(a, "--label-filter=") }) {
			return nil, fmt.Errorf("%w: a label filter in both --label-filter and --ginkgo-args", errUsage)
		}
		runArgs = append(runArgs, "--label-filter="+c.labelFilter)
	}
	for _, f := range c.focus {
		runArgs = append(runArgs, "--focus="+f)
	}
	for _, f := range c.skip {
		runArgs = append(runArgs, "--skip="+f)
	}
	for _, a := range runArgs {
		if v, ok := strings.CutPrefix(a, "--label-filter="); ok {
			if _, err := types.ParseLabelFilter(v); err != nil {
				return nil, fmt.Errorf("%w: label filter %q: %s", errUsage, v, oneLine(err.Error()))
			}
		}
	}
	c.opt.RunArgs = runArgs

	switch {
	case c.matrix && (!c.arch.IsZero() || c.kernel != "" || c.modules != "" || c.variant != ""):
		return nil, fmt.Errorf("%w: --matrix runs every arch, kernel and variant; do not combine it with --arch, --kernel, --modules or --variant", errUsage)
	case c.matrix && c.opt.Bundle != "":
		return nil, fmt.Errorf("%w: --bundle holds one architecture's binary; give it with --arch, not --matrix", errUsage)
	case !c.matrix && (c.jobs != 1 || c.shard != ""):
		return nil, fmt.Errorf("%w: --jobs and --shard go with --matrix", errUsage)
	case c.jobs < 1:
		return nil, fmt.Errorf("%w: --jobs %d: must be at least 1", errUsage, c.jobs)
	case !c.matrix && c.arch.IsZero():
		return nil, fmt.Errorf("%w: give --arch (amd64, arm64, ppc64le, riscv64, s390x, mips64le) or --matrix", errUsage)
	}
	c.matrixOpt.Jobs = c.jobs
	if c.shard != "" {
		sh, err := runner.ParseShard(c.shard)
		if err != nil {
			return nil, fmt.Errorf("%w: --shard: %v", errUsage, err)
		}
		c.matrixOpt.Shard = sh
	}
	if !c.matrix {
		if _, err := variant.Lookup(c.arch.GOARCH, c.variant); err != nil {
			return nil, fmt.Errorf("%w: --variant: %v", errUsage, err)
		}
		if err := resolveTarget(c.arch, c.variant, &c.kernel, c.modules); err != nil {
			return nil, err
		}
	}
	if c.opt.BuildTimeout <= 0 {
		return nil, fmt.Errorf("%w: --build-timeout %s: must be positive", errUsage, c.opt.BuildTimeout)
	}
	if c.verbose {
		c.opt.Console = qemu.TerminalWriter(stderr)
	}
	if c.opt.Bundle != "" {
		b, err := bundle.Read(c.opt.Bundle)
		if err != nil {
			return nil, fmt.Errorf("%w: --bundle: %v", errUsage, err)
		}
		if b.Manifest.GOARCH != c.arch.GOARCH {
			return nil, fmt.Errorf("%w: --bundle %s is for %s, not --arch %s", errUsage, c.opt.Bundle, b.Manifest.GOARCH, c.arch)
		}
		if c.opt.Bundle, err = filepath.Abs(c.opt.Bundle); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	b, err := stress.Parse(c.stress)
	if err != nil {
		return nil, fmt.Errorf("%w: --stress: %v", errUsage, err)
	}
	c.opt.Stress = &b
	if c.opt.Repeat < 1 {
		return nil, fmt.Errorf("%w: --repeat %d: must be at least 1", errUsage, c.opt.Repeat)
	}
	if c.opt.Timeout < 10*time.Second {
		return nil, fmt.Errorf("%w: --timeout %s: must be at least 10s", errUsage, c.opt.Timeout)
	}
	if c.opt.Cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("%w: no cache directory (%v); give --cache", errUsage, err)
		}
		c.opt.Cache = filepath.Join(dir, "kvmconform")
	}
	for _, p := range []*string{&c.opt.Cache, &c.opt.Out, &c.opt.SuiteDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		*p = abs
	}
	// The shipped expectations and the user's files, read before anything
	// boots: a missing or malformed file is a usage error.
	list, err := expectations.Load(c.expectFiles...)
	if err != nil {
		return nil, fmt.Errorf("%w: --expect: %v", errUsage, err)
	}
	c.opt.Expect = list
	if err := inputDir(c.opt.SuiteDir); err != nil {
		return nil, fmt.Errorf("%w: --src: %v", errUsage, err)
	}
	if err := cacheDir(c.opt.Cache); err != nil {
		return nil, fmt.Errorf("%w: --cache: %v", errUsage, err)
	}
	// Last, so that a bad flag creates nothing.
	if err := outputDir(c.opt.Out); err != nil {
		return nil, fmt.Errorf("%w: --out: %v", errUsage, err)
	}
	return c, nil
}

// resolveTarget checks --kernel and --modules against the architecture
// (--arch, parsed by target.Arch.Set) and fills in the default kernel: the
// variant's own (variant.Variant.Kernel), else debian:bookworm (riscv64:
// debian:trixie).
func resolveTarget(a target.Arch, variantName string, kern *string, modules string) error {
	if *kern == "" {
		*kern = "debian:bookworm"
		if a.GOARCH == "riscv64" {
			*kern = "debian:trixie"
		}
		if v, err := variant.Lookup(a.GOARCH, variantName); err == nil && v.Kernel != "" {
			*kern = v.Kernel
		}
	}
	if rc, ok, err := kernel.ParseBuildSpec(*kern); ok {
		switch {
		case err != nil:
			return fmt.Errorf("%w: --kernel: %v", errUsage, err)
		case rc.GOARCH != a.GOARCH:
			return fmt.Errorf("%w: --kernel %s is a %s kernel, not --arch %s", errUsage, *kern, rc.GOARCH, a.GOARCH)
		case modules != "":
			return fmt.Errorf("%w: --modules goes with a kernel image file, not %s (its modules are built with it)", errUsage, *kern)
		}
		return nil
	}
	if spec, ok, err := kernel.ParseDebianSpec(*kern); ok {
		if err != nil {
			return fmt.Errorf("%w: --kernel %s: %v", errUsage, *kern, err)
		}
		if modules != "" {
			return fmt.Errorf("%w: --modules goes with a kernel image file, not %s", errUsage, *kern)
		}
		if a.Bootable() {
			if _, err := kernel.DebianFlavour(a, spec.Release); err != nil {
				return fmt.Errorf("%w: --kernel: %v", errUsage, err)
			}
		}
	} else {
		if err := inputFile(*kern); err != nil {
			return fmt.Errorf("%w: --kernel %s: not debian:<release>, not build:<recipe> and not a readable file: %v", errUsage, *kern, err)
		}
		if modules != "" {
			if err := inputDir(modules); err != nil {
				return fmt.Errorf("%w: --modules: %v", errUsage, err)
			}
		}
	}
	return nil
}

func newFlags(c *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	// Errors are reported in one line by realMain; usage only for -h.
	fs.SetOutput(io.Discard)
	fs.Var(&c.arch, "arch", "target architecture: amd64, arm64, ppc64le, riscv64 (booted); s390x, mips64le (cross-built and vetted only)")
	fs.StringVar(&c.kernel, "kernel", "", "debian:bookworm (6.1), debian:trixie (6.12), either with =VERSION to pin one package version (debian:trixie=6.12.117-1), "+
		buildKernelUsage+", or a kernel image file (default: the variant's kernel, else debian:bookworm; riscv64: debian:trixie)")
	fs.StringVar(&c.modules, "modules", "", "with a kernel image file: directory searched for the KVM modules and their dependencies")
	fs.StringVar(&c.variant, "variant", "", variantUsage())
	fs.BoolVar(&c.matrix, "matrix", false, "run every arch x kernel combination and print the table")
	fs.IntVar(&c.jobs, "jobs", 1, "with --matrix: boot this many guests at once (builds and kernel downloads stay one at a time)")
	fs.StringVar(&c.shard, "shard", "", "with --matrix: run only slice i of n (i/n, e.g. 2/3): the rows whose position in the matrix is i-1 modulo n")
	fs.StringVar(&c.opt.Cache, "cache", "", "cache for kernels and apt lists (default $XDG_CACHE_HOME/kvmconform or ~/.cache/kvmconform)")
	fs.StringVar(&c.opt.Out, "out", filepath.Join("out", "qemu"), "base output directory; each run writes <out>/<arch>-<kernel>/")
	fs.DurationVar(&c.opt.Timeout, "timeout", 300*time.Second, "host deadline per boot; QEMU is killed then")
	fs.DurationVar(&c.opt.BuildTimeout, "build-timeout", 30*time.Minute, "deadline of a build:<recipe> kernel's build (when it is not cached); the build is killed then")
	fs.StringVar(&c.opt.SuiteDir, "src", ".", "module directory holding the suites")
	fs.StringVar(&c.opt.SuitePattern, "suites", "./suites/...", "package pattern of the suites the guest runs (packages with tests; the one conformance binary links them all)")
	fs.BoolVar(&c.opt.Refresh, "refresh", false, "update the apt package lists even if they are recent")
	fs.StringVar(&c.labelFilter, "label-filter", "", "Ginkgo label filter for the suites in the guest (kvmconform run --label-filter), e.g. 'CMP-4' or 'immediate-exit && !stress'")
	fs.Var(fileList{&c.focus}, "focus", "run only the specs whose text matches this regular expression (kvmconform run --focus; repeatable)")
	fs.Var(fileList{&c.skip}, "skip", "skip the specs whose text matches this regular expression (kvmconform run --skip; repeatable)")
	fs.StringVar(&c.ginkgoArgs, "ginkgo-args", "", "the suite binaries' Ginkgo flags, translated for kvmconform run: -ginkgo.label-filter, -ginkgo.focus, -ginkgo.skip (-ginkgo.v is dropped; the guest runs verbose); split like a shell would")
	fs.StringVar(&c.stress, "stress", runner.DefaultStress().String(), "budget of the stress specs (label stress) in the guest ($"+stress.Env+"): full, their native depth (SIG-6: 10000 kicks or 10s per kick pattern; MP-X9: 20 repetitions of 1000 INIT/SIPI rounds), or a duration that caps each stress loop instead")
	fs.IntVar(&c.opt.Repeat, "repeat", 1, "run each suite this many times in a row in the guest, stopping at the first failing run (raise --timeout to match)")
	fs.BoolVar(&c.verbose, "v", false, "copy the guest console to stderr as it arrives, without its control characters and escape sequences")
	fs.StringVar(&c.opt.Bundle, "bundle", "", "boot this kvmconform bundle's binary (kvmconform bundle --arch A) instead of building one; with --arch A")
	fs.Var(fileList{&c.expectFiles}, "expect", "an expectations file added to the shipped list (expectations/expectations.yaml); repeatable, each must exist")
	return fs
}

// fileList is a repeatable flag.
type fileList struct{ files *[]string }

func (f fileList) String() string {
	if f.files == nil {
		return ""
	}
	return strings.Join(*f.files, ",")
}

func (f fileList) Set(s string) error {
	if s == "" {
		return errors.New("empty file name")
	}
	*f.files = append(*f.files, s)
	return nil
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "bench" {
		return benchMain(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "program" {
		return programMain(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "kernel" {
		return kernelMain(args[1:], stdout, stderr)
	}
	c, err := parse(args, stderr)
	if code, done := flagError("ci", err, stderr); done {
		return code
	}
	return withRunner("ci", c.opt, stderr, func(ctx context.Context, r *runner.Runner) int {
		return runSuites(ctx, r, c, stdout, stderr)
	})
}

// flagError reports a command line that parse rejected in one line (exit
// status 2; -h is not an error); done is false when there was none.
func flagError(prog string, err error, stderr io.Writer) (code int, done bool) {
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	}
	fmt.Fprintf(stderr, "%s: bad flag value: %s\n", prog, strings.TrimPrefix(err.Error(), "usage: "))
	return 2, true
}

// withRunner runs body with a Runner (logging to stderr) and a context that
// ends on SIGINT or SIGTERM; body's result is the exit status.
func withRunner(prog string, opt runner.Options, stderr io.Writer, body func(context.Context, *runner.Runner) int) int {
	opt.Log = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := runner.New(opt)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	defer r.Close()
	return body(ctx, r)
}

// runSuites is `ci run`: one boot or the matrix, then the table.
func runSuites(ctx context.Context, r *runner.Runner, c *config, stdout, stderr io.Writer) int {
	var rows []results.Row
	start := time.Now()
	if c.matrix {
		rows = r.Matrix(ctx, stdout, c.matrixOpt)
	} else {
		a := c.arch
		var row results.Row
		if a.Bootable() || c.variant != "" {
			row = r.Boot(ctx, runner.Target{Arch: a, Kernel: c.kernel, Modules: c.modules, Variant: c.variant})
		} else {
			row = r.CrossOnly(ctx, a)
		}
		rows = append(rows, row)
		if row.Err != nil {
			fmt.Fprintf(stderr, "ci: %s\n", oneLine(runner.ProgressLine(row)))
		}
	}
	var table bytes.Buffer
	if err := results.Table(&table, rows); err != nil {
		fmt.Fprintf(stderr, "ci: %v\n", err)
		return 1
	}
	if c.matrix {
		how := fmt.Sprintf("%d row(s), %d at a time", len(rows), c.matrixOpt.Jobs)
		if c.matrixOpt.Shard.Count > 1 {
			how += ", shard " + c.matrixOpt.Shard.String()
		}
		fmt.Fprintf(stderr, "ci: matrix took %s (%s)\n", time.Since(start).Round(time.Second), how)
		if err := results.WriteFileAtomic(filepath.Join(c.opt.Out, "matrix.txt"), table.Bytes()); err != nil {
			fmt.Fprintf(stderr, "ci: %v\n", err)
		}
		if msg, err := matrixReport(c.opt.Out, rows, c.opt.Expect); err != nil {
			fmt.Fprintf(stderr, "ci: matrix report: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "ci: %s\n", msg)
		}
	}
	// The table ends with the expectations' lines, the expected count and
	// the closing line "N passed, N failed, N skipped"; keep that the last
	// line on stdout.
	fmt.Fprintln(stdout)
	stdout.Write(table.Bytes())
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "ci: interrupted")
		return 1
	}
	if total := results.Total(rows); total.Failed > 0 {
		return 1
	}
	return 0
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// matrixReport writes the matrix's own page over every row that wrote its
// directory (package reports, as kvmconform report does): <out>/report.html,
// ktap.txt and summary.md.
func matrixReport(out string, rows []results.Row, list []expectations.Expectation) (string, error) {
	var runs []*reports.Run
	for _, row := range rows {
		if row.Dir == "" {
			continue
		}
		r, err := reports.Load(row.Dir, nil)
		if err != nil {
			return "", err
		}
		r.Judge(list)
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return "", errors.New("no row wrote its directory")
	}
	reports.UniqueLabels(runs)
	m := reports.NewMatrix(runs, nil)
	title := "kvmconform matrix: " + strconv.Itoa(len(runs)) + " rows under QEMU with nested KVM"
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"report.html", func(w io.Writer) error { return reports.WriteHTML(w, m, title, time.Now()) }},
		{"ktap.txt", func(w io.Writer) error { return reports.WriteKTAP(w, m) }},
		{"summary.md", func(w io.Writer) error { return reports.WriteMarkdown(w, m, title) }},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			return "", err
		}
		if err := results.WriteFileAtomic(filepath.Join(out, f.name), buf.Bytes()); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("matrix report: %s (report.html, ktap.txt, summary.md; %d rows, %d specs)", out, len(runs), len(m.Rows)), nil
}
