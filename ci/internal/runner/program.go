package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

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
	if !t.Arch.Bootable() {
		return nil, fmt.Errorf("%s: %s", t.Arch.GOARCH, t.Arch.NoKVM)
	}
	if len(p.Argv) == 0 || p.Binaries[p.Argv[0]] == "" {
		return nil, fmt.Errorf("program: argv[0] must name one of its binaries")
	}
	m, err := qemu.For(t.Arch)
	if err != nil {
		return nil, err
	}
	bin, err := m.Check()
	if err != nil {
		return nil, err
	}
	k, err := r.Kernel(ctx, t)
	if err != nil {
		return nil, err
	}
	init := r.opt.Init
	if init == "" {
		if init, err = r.build.Init(ctx, t.Arch.GOARCH); err != nil {
			return nil, err
		}
	}
	cfg := guestconf.Config{RequireKVM: m.KVM, BudgetSeconds: budget(r.opt.Timeout),
		Program: &guestconf.Program{Argv: p.Argv, Result: p.Result}}
	spec := initramfs.Spec{Init: init, Programs: p.Binaries, Config: cfg}
	for _, mod := range k.Modules {
		spec.Modules = append(spec.Modules, initramfs.Module{Name: mod.Name, Path: mod.Path})
	}
	initrd := filepath.Join(r.tmp, t.Arch.GOARCH+"-"+KernelLabel(t.Kernel)+"-program.cpio")
	defer os.Remove(initrd)
	if err := initramfs.Write(initrd, spec); err != nil {
		return nil, err
	}
	argv := m.Command(qemu.Options{Kernel: k.Image, Initrd: initrd})
	argv[0] = bin
	r.logf("booting %s %s (%s) with %s to run %s", t.Arch.GOARCH, t.Kernel, filepath.Base(k.Image), m.Binary, p.Argv[0])
	res, err := qemu.Run(ctx, argv, qemu.RunOptions{Deadline: r.opt.Timeout, Done: frame.IsExitLine, Console: r.opt.Console})
	if err != nil {
		return nil, fmt.Errorf("QEMU: %w", err)
	}
	dec, err := frame.Decode(bytes.NewReader(res.Console))
	if err != nil {
		return nil, err
	}
	out := &ProgramResult{ExitCode: -1, QEMU: qemu.Version(ctx, bin), KernelName: KernelName(t.Kernel)}
	if f, ok := dec.Get(guestconf.FrameMeta); ok {
		var gm guestconf.Meta
		if jsonUnmarshal(f.Data, &gm) == nil {
			out.Guest = &gm
			for _, s := range gm.Suites {
				out.ExitCode, out.RunError = s.ExitCode, s.Error
			}
		}
	}
	if err := r.bootFailure(res, dec, m.Binary, func(name string) bool {
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
