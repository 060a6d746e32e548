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
	guestFlags
	cfg report.Config
}

func parseBench(args []string, stderr io.Writer) (*benchConfig, error) {
	c := &benchConfig{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	c.register(fs, 600*time.Second)
	fs.IntVar(&c.cfg.N, "n", 2000, "KVM_RUNs per round-trip measurement (under TCG every one is slow)")
	fs.IntVar(&c.cfg.Kicks, "kicks", 500, "kicks per kick-latency measurement")
	fs.IntVar(&c.cfg.Warmup, "warmup", 100, "round trips discarded first (kicks: a tenth)")
	fs.Uint64Var(&c.cfg.Seed, "seed", 460, "first state of the kick-delay sequence (not 0)")
	fs.IntVar(&c.cfg.Rounds, "rounds", 5, "interleaved rounds each measurement is split into (the median round is reported)")
	fs.StringVar(&c.opt.Out, "out", filepath.Join("out", "bench"), "base output directory")
	if err := parseFlags(fs, args, benchUsage, stderr); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if err := c.cfg.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := c.check(stderr); err != nil {
		return nil, err
	}
	if err := outputDir(c.opt.Out); err != nil {
		return nil, fmt.Errorf("%w: --out: %v", errUsage, err)
	}
	return c, nil
}

func benchMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseBench(args, stderr)
	var opt runner.Options
	if c != nil {
		opt = c.opt
	}
	return runGuestJob("ci bench", err, opt, stderr, func(ctx context.Context, r *runner.Runner) error {
		return runBench(ctx, r, c, stdout, stderr)
	})
}

func runBench(ctx context.Context, r *runner.Runner, c *benchConfig, stdout, stderr io.Writer) error {
	t := c.target()
	a := t.Arch
	kb, err := r.BuildCommand(ctx, a.GOARCH, benchPackage, "kvmbench")
	if err != nil {
		return err
	}
	prog := runner.Program{Binaries: map[string]string{"kvmbench": kb}, Result: "/tmp/bench.json",
		Argv: []string{"kvmbench", "-json", "/tmp/bench.json",
			"-n", fmt.Sprint(c.cfg.N), "-kicks", fmt.Sprint(c.cfg.Kicks),
			"-warmup", fmt.Sprint(c.cfg.Warmup), "-seed", fmt.Sprint(c.cfg.Seed), "-rounds", fmt.Sprint(c.cfg.Rounds)}}
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
	// The table is printed and the guest's status reported even when
	// the files cannot be written.
	var errs []error
	if res.ExitCode != 0 {
		errs = append(errs, fmt.Errorf("kvmbench exited with status %d in the guest (%s); see the table", res.ExitCode, res.RunError))
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"bench.json", append(data, '\n')}, {"bench.txt", []byte(table.String())}} {
		if err := results.WriteFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			errs = append(errs, err)
		}
	}
	fmt.Fprint(stdout, table.String())
	return errors.Join(errs...)
}
