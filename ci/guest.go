package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/runner"
	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// guestFlags are the flags of the subcommands that boot one guest for one
// job (bench, program): the target, the cache, the boot deadline and -v.
type guestFlags struct {
	arch            target.Arch
	kernel, modules string
	verbose         bool
	opt             runner.Options
}

// register adds the flags to fs; timeout is the default boot deadline.
func (g *guestFlags) register(fs *flag.FlagSet, timeout time.Duration) {
	fs.Var(&g.arch, "arch", "target architecture: amd64, arm64, ppc64le, riscv64")
	fs.StringVar(&g.kernel, "kernel", "", "debian:bookworm (6.1), debian:trixie (6.12), either with =VERSION to pin a package version, "+buildKernelUsage+", or a kernel image file")
	fs.StringVar(&g.modules, "modules", "", "with a kernel image file: directory searched for the KVM modules")
	fs.StringVar(&g.opt.Cache, "cache", "", "cache for kernels and apt lists (default ~/.cache/kvmconform)")
	fs.DurationVar(&g.opt.Timeout, "timeout", timeout, "host deadline for the boot")
	fs.BoolVar(&g.verbose, "v", false, "copy the guest console to stderr as it arrives, without its control characters and escape sequences")
}

// parseFlags parses args into fs, printing usage (and returning
// flag.ErrHelp) for -h; other errors are usage errors.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// check validates the flags after parsing and fills in the defaults: the
// target (resolveTarget; it must be bootable), the cache, the console.
func (g *guestFlags) check(stderr io.Writer) error {
	switch {
	case g.arch.IsZero():
		return fmt.Errorf("%w: give --arch (amd64, arm64, ppc64le, riscv64)", errUsage)
	case g.opt.Timeout < 10*time.Second:
		return fmt.Errorf("%w: --timeout %s: must be at least 10s", errUsage, g.opt.Timeout)
	}
	if err := resolveTarget(g.arch, "", &g.kernel, g.modules); err != nil {
		return err
	}
	if !g.arch.Bootable() {
		return fmt.Errorf("%w: --arch %s: %s", errUsage, g.arch, g.arch.NoKVM)
	}
	if g.opt.Cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("%w: no cache directory (%v); give --cache", errUsage, err)
		}
		g.opt.Cache = filepath.Join(dir, "kvmconform")
	}
	if err := cacheDir(g.opt.Cache); err != nil {
		return fmt.Errorf("%w: --cache: %v", errUsage, err)
	}
	if g.verbose {
		g.opt.Console = qemu.TerminalWriter(stderr)
	}
	g.opt.SuiteDir = "."
	return nil
}

// target is the runner's Target for the flags (after check).
func (g *guestFlags) target() runner.Target {
	return runner.Target{Arch: g.arch, Kernel: g.kernel, Modules: g.modules}
}

// runGuestJob is the main of a one-guest subcommand: the flag error line
// (exit 2), else job with a runner; job's error is one line (exit 1).
func runGuestJob(prog string, err error, opt runner.Options, stderr io.Writer, job func(context.Context, *runner.Runner) error) int {
	if code, done := flagError(prog, err, stderr); done {
		return code
	}
	return withRunner(prog, opt, stderr, func(ctx context.Context, r *runner.Runner) int {
		if err := job(ctx, r); err != nil {
			fmt.Fprintf(stderr, "%s: %s\n", prog, oneLine(err.Error()))
			return 1
		}
		return 0
	})
}
