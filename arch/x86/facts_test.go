package x86

import (
	"github.com/kvmconform/kvmconform/arch/archtest"
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
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

func TestRegsIoctl(t *testing.T) {
	if f := (Arch{}).RegsIoctl(); !f.Supported || f.Errno != 0 {
		t.Errorf("RegsIoctl = %+v, want supported", f)
	}
}

// TestMPState: MP-X1 without an irqchip (every vCPU RUNNABLE) and MP-X3
// (RUNNABLE always; UNINITIALIZED, INIT_RECEIVED, HALTED, SIPI_RECEIVED
// and AP_RESET_HOLD only with an in-kernel LAPIC; anything else EINVAL).
func TestMPState(t *testing.T) {
	f := Arch{}.MPState()
	if !f.Supported || f.GetReturnsState || f.PowerOffAtInit {
		t.Errorf("%+v", f)
	}
	if f.InitialFirst != uapi.KVM_MP_STATE_RUNNABLE || f.InitialSecond != uapi.KVM_MP_STATE_RUNNABLE {
		t.Errorf("initial states %d, %d; want RUNNABLE (no irqchip)", f.InitialFirst, f.InitialSecond)
	}
	withLAPIC := map[uapi.MPState]bool{uapi.KVM_MP_STATE_UNINITIALIZED: true, uapi.KVM_MP_STATE_INIT_RECEIVED: true,
		uapi.KVM_MP_STATE_HALTED: true, uapi.KVM_MP_STATE_SIPI_RECEIVED: true, uapi.KVM_MP_STATE_AP_RESET_HOLD: true}
	for s := uapi.MPState(0); s <= uapi.KVM_MP_STATE_SUSPENDED+1; s++ {
		want := unix.EINVAL
		if s == uapi.KVM_MP_STATE_RUNNABLE {
			want = 0
		}
		if got := f.SetErrno(s); got != want {
			t.Errorf("SetErrno(%d) = %v, want %v", s, got, want)
		}
		r, ok := f.SetRule(s)
		if ok != (withLAPIC[s] || s == uapi.KVM_MP_STATE_RUNNABLE) {
			t.Errorf("SetRule(%d) listed = %v", s, ok)
		}
		if withLAPIC[s] && r.Requires != LAPICRequirement {
			t.Errorf("SetRule(%d) requires %q, want the LAPIC", s, r.Requires)
		}
	}
	if r, _ := f.SetRule(uapi.KVM_MP_STATE_AP_RESET_HOLD); r.Source.Since != "5.11" {
		t.Errorf("AP_RESET_HOLD since %q, want 5.11", r.Source.Since)
	}
}

func TestSignals(t *testing.T) {
	if f := (Arch{}).Signals(); !f.SeenBeforeGuest || f.OlderKernelsDiffer {
		t.Errorf("%+v", f)
	}
}
