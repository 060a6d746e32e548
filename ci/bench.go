package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kvmconform/kvmconform/bench/cref"
	"github.com/kvmconform/kvmconform/bench/report"
	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/runner"
	"github.com/kvmconform/kvmconform/ci/internal/target"
)

const benchUsage = `usage: go run ./ci bench --arch ARCH [flags]

Boots ARCH's kernel under QEMU with nested KVM, runs the benchmarks there
(cmd/kvmbench with the C reference, bench/cref/csrc/kvmbench.c, cross-built
statically where a cross compiler exists) and prints the table with the
Go/C ratios. Writes <out>/<arch>-<kernel>/bench.json and bench.txt.

flags:
`

// benchPackage is the benchmark command cross-built for the guest.
const benchPackage = "github.com/kvmconform/kvmconform/cmd/kvmbench"

// cCompilers are the C compilers of the C reference per guest GOARCH
// (Debian's gcc and gcc-aarch64-linux-gnu); kvmbench.c supports these.
var cCompilers = map[string]string{"amd64": "x86_64-linux-gnu-gcc", "arm64": "aarch64-linux-gnu-gcc"}

type benchConfig struct {
	arch, kernel, modules string
	cfg                   report.Config
	verbose               bool
	opt                   runner.Options
}

func parseBench(args []string, stderr io.Writer) (*benchConfig, error) {
	c := &benchConfig{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.arch, "arch", "", "target architecture: amd64, arm64, ppc64le, riscv64")
	fs.StringVar(&c.kernel, "kernel", "", "debian:bookworm (6.1), debian:trixie (6.12), either with =VERSION to pin a package version, or a kernel image file")
	fs.StringVar(&c.modules, "modules", "", "with a kernel image file: directory searched for the KVM modules")
	fs.IntVar(&c.cfg.N, "n", 2000, "KVM_RUNs per round-trip measurement (under TCG every one is slow)")
	fs.IntVar(&c.cfg.Kicks, "kicks", 500, "kicks per kick-latency measurement")
	fs.IntVar(&c.cfg.Warmup, "warmup", 100, "round trips discarded first (kicks: a tenth)")
	fs.Uint64Var(&c.cfg.Seed, "seed", 460, "first state of the kick-delay sequence (not 0)")
	fs.StringVar(&c.opt.Cache, "cache", "", "cache for kernels and apt lists (default ~/.cache/kvmconform)")
	fs.StringVar(&c.opt.Out, "out", filepath.Join("out", "bench"), "base output directory")
	fs.DurationVar(&c.opt.Timeout, "timeout", 600*time.Second, "host deadline for the boot")
	fs.BoolVar(&c.verbose, "v", false, "copy the guest console to stderr as it arrives")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, benchUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case c.arch == "":
		return nil, fmt.Errorf("%w: give --arch (amd64, arm64, ppc64le, riscv64)", errUsage)
	case c.opt.Timeout < 10*time.Second:
		return nil, fmt.Errorf("%w: --timeout %s: must be at least 10s", errUsage, c.opt.Timeout)
	}
	if err := c.cfg.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := resolveTarget(&c.arch, &c.kernel, c.modules); err != nil {
		return nil, err
	}
	if a, _ := target.Parse(c.arch); !a.Bootable() {
		return nil, fmt.Errorf("%w: --arch %s: %s", errUsage, c.arch, a.NoKVM)
	}
	if c.opt.Cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("%w: no cache directory (%v); give --cache", errUsage, err)
		}
		c.opt.Cache = filepath.Join(dir, "kvmconform")
	}
	if c.verbose {
		c.opt.Console = stderr
	}
	c.opt.SuiteDir = "."
	return c, nil
}

func benchMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseBench(args, stderr)
	if code, done := flagError("ci bench", err, stderr); done {
		return code
	}
	return withRunner("ci bench", c.opt, stderr, func(ctx context.Context, r *runner.Runner) int {
		if err := runBench(ctx, r, c, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "ci bench: %s\n", oneLine(err.Error()))
			return 1
		}
		return 0
	})
}

func runBench(ctx context.Context, r *runner.Runner, c *benchConfig, stdout, stderr io.Writer) error {
	a, _ := target.Parse(c.arch)
	kb, err := r.BuildCommand(ctx, a.GOARCH, benchPackage, "kvmbench")
	if err != nil {
		return err
	}
	prog := runner.Program{Binaries: map[string]string{"kvmbench": kb}, Result: "/tmp/bench.json",
		Argv: []string{"kvmbench", "-json", "/tmp/bench.json",
			"-n", fmt.Sprint(c.cfg.N), "-kicks", fmt.Sprint(c.cfg.Kicks),
			"-warmup", fmt.Sprint(c.cfg.Warmup), "-seed", fmt.Sprint(c.cfg.Seed)}}
	cNote := ""
	if cc, ok := cCompilers[a.GOARCH]; !ok {
		cNote = "bench/cref/csrc/kvmbench.c supports x86_64 and arm64 only"
	} else if dir, err := os.MkdirTemp(r.TempDir(), "cref-"); err != nil {
		return err
	} else if cb, version, err := cref.Build(ctx, cc, dir); err != nil {
		cNote = err.Error()
	} else {
		prog.Binaries["kvmbench-c"] = cb
		prog.Argv = append(prog.Argv, "-c", "/suites/kvmbench-c", "-c-desc", version+", built on the host")
	}
	if cNote != "" {
		fmt.Fprintf(stderr, "ci bench: no C reference: %s\n", cNote)
		prog.Argv = append(prog.Argv, "-no-c")
	}
	t := runner.Target{Arch: a, Kernel: c.kernel, Modules: c.modules}
	res, err := r.RunProgram(ctx, t, prog)
	if err != nil {
		return err
	}
	var rep report.Report
	if err := json.Unmarshal(res.Data, &rep); err != nil {
		return fmt.Errorf("the guest's benchmark report: %w", err)
	}
	if cNote != "" {
		rep.CError = cNote
	}
	rep.Note = fmt.Sprintf("in a guest of %s (TCG) with nested KVM", res.QEMU)
	dir := filepath.Join(c.opt.Out, a.GOARCH+"-"+runner.KernelLabel(c.kernel))
	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"bench.json": append(data, '\n'), "bench.txt": []byte(table.String())} {
		if err := results.WriteFileAtomic(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	fmt.Fprint(stdout, table.String())
	if res.ExitCode != 0 {
		return fmt.Errorf("kvmbench exited with status %d in the guest (%s); see the table", res.ExitCode, res.RunError)
	}
	return nil
}
