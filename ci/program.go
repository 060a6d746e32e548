package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/runner"
	"github.com/kvmconform/kvmconform/ci/internal/target"
)

const programUsage = `usage: go run ./ci program --arch ARCH --binary FILE --out DIR [flags] [-- ARGS...]

Boots ARCH's kernel under QEMU with nested KVM and runs one prebuilt binary
for that architecture in the guest (as /suites/<name of FILE>) with ARGS,
instead of the suites: for a test binary whose verdict is checked on the
host, such as the planted stuck-vCPU suite of kvm/abandoned_test.go. Writes
DIR/exit-status (the binary's exit status in the guest) and, with
--result, DIR/result (the file the binary wrote there).

flags:
`

type programConfig struct {
	arch, kernel, modules string
	binary, result, out   string
	args                  []string
	verbose               bool
	opt                   runner.Options
}

func parseProgram(args []string, stderr io.Writer) (*programConfig, error) {
	c := &programConfig{}
	fs := flag.NewFlagSet("program", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.arch, "arch", "", "target architecture: amd64, arm64, ppc64le, riscv64")
	fs.StringVar(&c.kernel, "kernel", "", "debian:bookworm (6.1), debian:trixie (6.12) or a kernel image file")
	fs.StringVar(&c.modules, "modules", "", "with a kernel image file: directory searched for the KVM modules")
	fs.StringVar(&c.binary, "binary", "", "the binary to run in the guest, built for ARCH (static: CGO_ENABLED=0)")
	fs.StringVar(&c.result, "result", "", "a file the binary writes in the guest (e.g. /tmp/report.json), brought back as DIR/result")
	fs.StringVar(&c.out, "out", "", "output directory")
	fs.StringVar(&c.opt.Cache, "cache", "", "cache for kernels and apt lists (default ~/.cache/kvmconform)")
	fs.DurationVar(&c.opt.Timeout, "timeout", 300*time.Second, "host deadline for the boot")
	fs.BoolVar(&c.verbose, "v", false, "copy the guest console to stderr as it arrives")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, programUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	c.args = fs.Args()
	switch {
	case c.arch == "":
		return nil, fmt.Errorf("%w: give --arch (amd64, arm64, ppc64le, riscv64)", errUsage)
	case c.binary == "":
		return nil, fmt.Errorf("%w: give --binary", errUsage)
	case c.out == "":
		return nil, fmt.Errorf("%w: give --out", errUsage)
	case c.opt.Timeout < 10*time.Second:
		return nil, fmt.Errorf("%w: --timeout %s: must be at least 10s", errUsage, c.opt.Timeout)
	}
	if f, err := os.Open(c.binary); err != nil {
		return nil, fmt.Errorf("%w: --binary: %v", errUsage, err)
	} else {
		f.Close()
	}
	if err := resolveTarget(&c.arch, &c.kernel, c.modules); err != nil {
		return nil, err
	}
	if a, _ := target.Parse(c.arch); !a.Bootable() {
		return nil, fmt.Errorf("%w: --arch %s: %s", errUsage, c.arch, a.NoKVM)
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return nil, fmt.Errorf("%w: --out: %v", errUsage, err)
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

func programMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseProgram(args, stderr)
	if code, done := flagError("ci program", err, stderr); done {
		return code
	}
	return withRunner("ci program", c.opt, stderr, func(ctx context.Context, r *runner.Runner) int {
		if err := runProgram(ctx, r, c, stdout); err != nil {
			fmt.Fprintf(stderr, "ci program: %s\n", oneLine(err.Error()))
			return 1
		}
		return 0
	})
}

func runProgram(ctx context.Context, r *runner.Runner, c *programConfig, stdout io.Writer) error {
	a, _ := target.Parse(c.arch)
	name := filepath.Base(c.binary)
	prog := runner.Program{Binaries: map[string]string{name: c.binary}, Argv: append([]string{name}, c.args...), Result: c.result}
	res, err := r.RunProgram(ctx, runner.Target{Arch: a, Kernel: c.kernel, Modules: c.modules}, prog)
	if err != nil {
		return err
	}
	if c.result != "" {
		if err := results.WriteFileAtomic(filepath.Join(c.out, "result"), res.Data); err != nil {
			return err
		}
	}
	if err := results.WriteFileAtomic(filepath.Join(c.out, "exit-status"), []byte(strconv.Itoa(res.ExitCode)+"\n")); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ci program: %s exited with status %d in %s on %s %s\n", name, res.ExitCode, res.QEMU, a.GOARCH, res.KernelName)
	return nil
}
