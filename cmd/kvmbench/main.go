//go:build linux

// Command kvmbench prints kvmconform's benchmark table: KVM_RUN round trips
// and kick latencies measured by Go (raw, and through the suites' harness)
// and by a C reference program in the same run, with the Go/C ratios, the
// kernel and the KVM modules (see package bench).
//
//	go run ./cmd/kvmbench                # builds the C reference with gcc
//	go run ./cmd/kvmbench -c ./kvmbench-c -json out/bench.json
//	go run ./cmd/kvmbench -rounds 9 -cpu -1   # more rounds, nothing pinned
//
// Without a usable /dev/kvm it says why in one line and exits 1. Under QEMU
// with nested KVM: go run ./ci bench --arch amd64 (see ci/).
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
	"runtime"

	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/bench"
	"github.com/kvmconform/kvmconform/bench/cref"
	"github.com/kvmconform/kvmconform/bench/report"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
	"github.com/kvmconform/kvmconform/kvm"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	cfg      report.Config
	cBin, cc string
	jsonOut  string
	note     string
	cDesc    string
	skipC    bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("kvmbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.cfg.N, "n", 10000, "KVM_RUNs per round-trip measurement")
	fs.IntVar(&o.cfg.Kicks, "kicks", 2000, "kicks per kick-latency measurement")
	fs.IntVar(&o.cfg.Warmup, "warmup", 100, "round trips discarded first (kicks: a tenth of it)")
	fs.Uint64Var(&o.cfg.Seed, "seed", 460, "first state of the kick-delay sequence (not 0)")
	fs.IntVar(&o.cfg.Rounds, "rounds", 5, "interleaved rounds each measurement is split into (the median round is reported)")
	fs.IntVar(&o.cfg.CPU, "cpu", bench.DefaultCPU(), "the CPU every implementation's vCPU thread is pinned to, the kickers getting the others (-1: not pinned; default the highest CPU, when there are two or more)")
	fs.StringVar(&o.cBin, "c", "", "a built C reference binary (default: build bench/cref/csrc/kvmbench.c with -cc)")
	fs.StringVar(&o.cc, "cc", "gcc", "C compiler for the C reference")
	fs.BoolVar(&o.skipC, "no-c", false, "do not run the C reference")
	fs.StringVar(&o.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&o.note, "note", "", "a line of context printed under the header")
	fs.StringVar(&o.cDesc, "c-desc", "", "with -c: how that binary was built (for the header)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: kvmbench [flags]")
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := o.cfg.Check(); err != nil {
		return nil, err
	}
	if o.cBin != "" {
		if st, err := os.Stat(o.cBin); err != nil || st.IsDir() {
			return nil, fmt.Errorf("-c %s: not a file", o.cBin)
		}
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "kvmbench: bad flag value: %v\n", err)
		return 2
	}
	a := host.Arch()
	if a == nil {
		fmt.Fprintf(stderr, "kvmbench: %s: kvmconform has no architecture support here\n", runtime.GOARCH)
		return 1
	}
	sys, reason := kvm.Probe(kvm.DevicePath())
	if sys == nil {
		fmt.Fprintf(stderr, "kvmbench: KVM unavailable: %s\n", reason)
		return 1
	}
	defer sys.Close()

	rep := report.Report{Host: hostinfo.Read(sys.Path()), Arch: a.Name(), GoVersion: runtime.Version(),
		Config: o.cfg.WithDefaults(), Note: o.note}
	tmp, err := os.MkdirTemp("", "kvmbench-*")
	if err != nil {
		fmt.Fprintf(stderr, "kvmbench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	ctx := context.Background()
	cfg := o.cfg.WithDefaults()
	var cBin string
	if o.skipC {
		rep.CError = "-no-c"
	} else {
		cBin, rep.CCompiler = o.cBin, o.cDesc
		if rep.CCompiler == "" {
			rep.CCompiler = "prebuilt " + o.cBin
		}
		if cBin == "" {
			cBin, rep.CCompiler, err = cref.Build(ctx, o.cc, tmp)
			if err != nil {
				rep.CError = err.Error()
				fmt.Fprintf(stderr, "kvmbench: C reference: %v\n", err)
				cBin = ""
			}
		}
	}
	// Every round runs every implementation once, C first, so that a slow
	// period of this (shared) host costs one round of each, not one
	// implementation's whole measurement.
	rounds := map[[2]string][]report.Result{}
	add := func(round int, r report.Result) {
		r.Round = round
		k := [2]string{r.Name, r.Impl}
		rounds[k] = append(rounds[k], r)
	}
	for i := 0; i < cfg.Rounds; i++ {
		rc := cfg.Round(i)
		if cBin != "" {
			res, err := bench.RunC(ctx, cBin, tmp, a.Name(), sys.Path(), rc)
			for _, r := range res {
				add(i+1, r)
			}
			if err != nil {
				rep.CError = fmt.Sprintf("round %d of %d: %v", i+1, cfg.Rounds, err)
				fmt.Fprintf(stderr, "kvmbench: C reference: %s\n", rep.CError)
				cBin = ""
			}
		}
		for _, name := range report.Measurements() {
			for _, impl := range []string{report.ImplGo, report.ImplHarness} {
				add(i+1, bench.RunOne(sys, a, rc, name, impl))
			}
		}
	}
	for _, name := range report.Measurements() {
		for _, impl := range report.Implementations() {
			rs, ok := rounds[[2]string{name, impl}]
			if !ok {
				continue
			}
			r := report.Combine(rs)
			if impl != report.ImplC {
				fmt.Fprintf(stderr, "kvmbench: %s\n", r)
			}
			rep.Results = append(rep.Results, r)
			if cfg.Rounds > 1 {
				rep.Rounds = append(rep.Rounds, rs...)
			}
		}
	}
	if o.jsonOut != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := writeAtomic(o.jsonOut, append(data, '\n')); err != nil {
			fmt.Fprintf(stderr, "kvmbench: %v\n", err)
			return 1
		}
	}
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "kvmbench: %v\n", err)
		return 1
	}
	for _, r := range rep.Results {
		if r.Err != "" {
			return 1
		}
	}
	if rep.CError != "" && !o.skipC {
		return 1
	}
	return 0
}

// writeAtomic writes via a temporary file, so a failed run leaves nothing
// half-written.
func writeAtomic(path string, data []byte) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
