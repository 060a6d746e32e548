//go:build linux && amd64

package x86

import (
	"github.com/kvmconform/kvmconform/arch/archtest"
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
)

func TestCompletions(t *testing.T) {
	f := Arch{}.Completions()
	for _, tc := range []struct {
		exit    uapi.ExitReason
		access  arch.Access
		pcMoved bool // PC past the instruction during the exit
	}{
		{uapi.KVM_EXIT_IO, arch.AccessRead, false},
		{uapi.KVM_EXIT_IO, arch.AccessWrite, false},
		{uapi.KVM_EXIT_MMIO, arch.AccessRead, false},
		{uapi.KVM_EXIT_MMIO, arch.AccessWrite, true},
		{uapi.KVM_EXIT_X86_RDMSR, arch.AccessRead, false},
		{uapi.KVM_EXIT_X86_WRMSR, arch.AccessWrite, false},
		{uapi.KVM_EXIT_HYPERCALL, arch.AccessNone, false},
	} {
		c, ok := f.Lookup(tc.exit, tc.access)
		if !ok {
			t.Errorf("exit %d %v: no completion", tc.exit, tc.access)
			continue
		}
		if c.PCPastAtExit != tc.pcMoved || !c.OnceOnly || c.PCAdvance != 0 {
			t.Errorf("%s: %+v, want PCPastAtExit %v, once only, PCAdvance 0 (x86 lengths vary)", c.Name(), c, tc.pcMoved)
		}
		if c.Source.File == "" || c.Source.Function == "" || c.Source.Since == "" {
			t.Errorf("%s: incomplete source %+v", c.Name(), c.Source)
		}
	}
	if len(f.Exits) != 7 {
		t.Errorf("%d completions, want 7", len(f.Exits))
	}
}

// TestPCChange checks the CMP-14 answers: what each completion does when
// userspace moved the PC or changed the destination register during the
// exit, on each kernel path, and that none is left unsaid.
func TestPCChange(t *testing.T) {
	archtest.CheckPCChanges(t, Arch{}.Completions(), []archtest.PCChange{
		{Reason: uapi.KVM_EXIT_IO, Access: arch.AccessRead, Path: "fast PIO", PC: arch.Dropped, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_IO, Access: arch.AccessRead, Path: "emulator", PC: arch.PCOverwritten, Reg: arch.RegKept},
		{Reason: uapi.KVM_EXIT_IO, Access: arch.AccessWrite, Path: "fast PIO", PC: arch.Dropped, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_IO, Access: arch.AccessWrite, Path: "emulator", PC: arch.PCKept, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead, Path: "emulator", PC: arch.PCOverwritten, Reg: arch.RegKept},
		{Reason: uapi.KVM_EXIT_MMIO, Access: arch.AccessWrite, Path: "emulator", PC: arch.PCKept, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_X86_RDMSR, Access: arch.AccessRead, Path: "VMX", PC: arch.AppliedAtNewPC, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_X86_RDMSR, Access: arch.AccessRead, Path: "SVM", PC: arch.PCOverwritten, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_X86_RDMSR, Access: arch.AccessRead, Path: "SVM without NRIPS", PC: arch.SkipsAtNewPC, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_X86_RDMSR, Access: arch.AccessRead, Path: "emulator", PC: arch.PCOverwritten, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_X86_WRMSR, Access: arch.AccessWrite, Path: "VMX", PC: arch.AppliedAtNewPC, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_X86_WRMSR, Access: arch.AccessWrite, Path: "SVM", PC: arch.PCOverwritten, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_X86_WRMSR, Access: arch.AccessWrite, Path: "SVM without NRIPS", PC: arch.SkipsAtNewPC, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_X86_WRMSR, Access: arch.AccessWrite, Path: "emulator", PC: arch.PCOverwritten, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_HYPERCALL, Access: arch.AccessNone, Path: "VMX", PC: arch.AppliedAtNewPC, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_HYPERCALL, Access: arch.AccessNone, Path: "SVM", PC: arch.PCOverwritten, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_HYPERCALL, Access: arch.AccessNone, Path: "SVM without NRIPS", PC: arch.SkipsAtNewPC, Reg: arch.RegWritten},
	})
}
