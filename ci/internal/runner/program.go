package runner

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kvmconform/kvmconform/ci/internal/frame"
	"github.com/kvmconform/kvmconform/ci/internal/guestconf"
	"github.com/kvmconform/kvmconform/ci/internal/initramfs"
	"github.com/kvmconform/kvmconform/ci/internal/qemu"
)

// Program is a binary booted instead of the suites (the benchmarks).
type Program struct {
	// Binaries maps names in the guest's /suites to host paths; Argv[0]
	// is one of the names.
	Binaries map[string]string
	Argv     []string
	// Result is a file the program writes in the guest; it comes back in
	// ProgramResult.Data.
	Result string
}

// ProgramResult is what a program boot brought back.
type ProgramResult struct {
	Data       []byte          // the Result file
	Guest      *guestconf.Meta // the guest's description, if it sent one
	ExitCode   int             // the program's exit status (-1: did not run)
	RunError   string          // why the program did not run to completion
	QEMU       string          // QEMU's version line
	KernelName string          // the kernel spec as shown in tables
}

// RunProgram boots t with p as the guest's only job and returns its result.
// The error says why the boot did not complete (as Boot's rows do).
func (r *Runner) RunProgram(ctx context.Context, t Target, p Program) (*ProgramResult, error) {
	if len(p.Argv) == 0 || p.Binaries[p.Argv[0]] == "" {
		return nil, fmt.Errorf("program: argv[0] must name one of its binaries")
	}
	e, err := r.resolve(ctx, t)
	if err != nil {
		return nil, err
	}
	init := r.opt.Init
	if init == "" {
		if init, err = r.build.Init(ctx, t.Arch.GOARCH); err != nil {
			return nil, err
		}
	}
	spec := initramfs.Spec{Init: init, Programs: p.Binaries, Config: guestconf.Config{BudgetSeconds: budget(r.opt.Timeout),
		Program: &guestconf.Program{Argv: p.Argv, Result: p.Result}}}
	_, res, err := r.run(ctx, t, e, &spec, p.Argv[0])
	if err != nil {
		return nil, fmt.Errorf("QEMU: %w", err)
	}
	dec, err := frame.Decode(bytes.NewReader(res.Console))
	if err != nil {
		return nil, err
	}
	out := &ProgramResult{ExitCode: -1, QEMU: qemu.Version(ctx, e.bin), KernelName: KernelName(t.Kernel)}
	if f, ok := dec.Get(guestconf.FrameMeta); ok {
		var gm guestconf.Meta
		if jsonUnmarshal(f.Data, &gm) == nil {
			out.Guest = &gm
			for _, s := range gm.Suites {
				out.ExitCode, out.RunError = s.ExitCode, s.Error
			}
		}
	}
	if err := r.bootFailure(res, dec, e.machine.Binary, func(name string) bool {
		return name == guestconf.FrameResult || name == guestconf.FrameMeta
	}); err != nil {
		return out, err
	}
	if f, ok := dec.Get(guestconf.FrameResult); ok {
		out.Data = f.Data
	} else if p.Result != "" {
		return out, fmt.Errorf("%s sent no result (exit status %d %s); console tail: %s",
			p.Argv[0], out.ExitCode, out.RunError, qemu.Tail(res.Console, 8))
	}
	return out, nil
}

// BuildCommand cross-builds a command of the kvmconform module for goarch
// into the runner's temporary directory.
func (r *Runner) BuildCommand(ctx context.Context, goarch, pkg, name string) (string, error) {
	r.logf("building %s for %s", pkg, goarch)
	out, err := r.build.Command(ctx, goarch, pkg, name)
	if err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	return out, nil
}

// TempDir is the runner's temporary directory (removed by Close).
func (r *Runner) TempDir() string { return r.tmp }
