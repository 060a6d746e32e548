package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/runner"
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
	guestFlags
	binary, result, out string
	args                []string
}

func parseProgram(args []string, stderr io.Writer) (*programConfig, error) {
	c := &programConfig{}
	fs := flag.NewFlagSet("program", flag.ContinueOnError)
	c.register(fs, 300*time.Second)
	fs.StringVar(&c.binary, "binary", "", "the binary to run in the guest, built for ARCH (static: CGO_ENABLED=0)")
	fs.StringVar(&c.result, "result", "", "a file the binary writes in the guest (e.g. /tmp/report.json), brought back as DIR/result")
	fs.StringVar(&c.out, "out", "", "output directory")
	if err := parseFlags(fs, args, programUsage, stderr); err != nil {
		return nil, err
	}
	c.args = fs.Args()
	switch {
	case c.binary == "":
		return nil, fmt.Errorf("%w: give --binary", errUsage)
	case c.out == "":
		return nil, fmt.Errorf("%w: give --out", errUsage)
	}
	if err := c.check(stderr); err != nil {
		return nil, err
	}
	if err := inputFile(c.binary); err != nil {
		return nil, fmt.Errorf("%w: --binary: %v", errUsage, err)
	}
	if err := outputDir(c.out); err != nil {
		return nil, fmt.Errorf("%w: --out: %v", errUsage, err)
	}
	return c, nil
}

func programMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseProgram(args, stderr)
	var opt runner.Options
	if c != nil {
		opt = c.opt
	}
	return runGuestJob("ci program", err, opt, stderr, func(ctx context.Context, r *runner.Runner) error {
		return runProgram(ctx, r, c, stdout)
	})
}

func runProgram(ctx context.Context, r *runner.Runner, c *programConfig, stdout io.Writer) error {
	t := c.target()
	name := filepath.Base(c.binary)
	prog := runner.Program{Binaries: map[string]string{name: c.binary}, Argv: append([]string{name}, c.args...), Result: c.result}
	res, err := r.RunProgram(ctx, t, prog)
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
	fmt.Fprintf(stdout, "ci program: %s exited with status %d in %s on %s %s\n", name, res.ExitCode, res.QEMU, t.Arch.GOARCH, res.KernelName)
	return nil
}
