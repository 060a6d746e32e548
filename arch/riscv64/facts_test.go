package riscv64

import (
	"github.com/kvmconform/kvmconform/arch/archtest"
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestCompletions(t *testing.T) {
	f := Arch{}.Completions()
	for _, k := range []struct {
		reason uapi.ExitReason
		access arch.Access
	}{
		{uapi.KVM_EXIT_MMIO, arch.AccessRead},
		{uapi.KVM_EXIT_MMIO, arch.AccessWrite},
		{uapi.KVM_EXIT_RISCV_SBI, arch.AccessNone},
		{uapi.KVM_EXIT_RISCV_CSR, arch.AccessNone},
	} {
		c, ok := f.Lookup(k.reason, k.access)
		if !ok {
			t.Errorf("no completion for exit %d %v", k.reason, k.access)
			continue
		}
		if c.PCAdvance != 4 || c.PCPastAtExit || !c.OnceOnly || c.Source.Since == "" {
			t.Errorf("%s: %+v", c.Name(), c)
		}
	}
	if len(f.Exits) != 4 {
		t.Errorf("%d completions, want 4", len(f.Exits))
	}
}

func TestRegsIoctl(t *testing.T) {
	if f := (Arch{}).RegsIoctl(); f.Supported || f.Errno != unix.EINVAL {
		t.Errorf("RegsIoctl = %+v, want unsupported with EINVAL", f)
	}
}

func TestMPState(t *testing.T) {
	f := Arch{}.MPState()
	if !f.Supported || f.GetReturnsState || f.PowerOffAtInit {
		t.Errorf("%+v", f)
	}
	if f.InitialFirst != uapi.KVM_MP_STATE_RUNNABLE || f.InitialSecond != uapi.KVM_MP_STATE_STOPPED {
		t.Errorf("initial %d, %d; want RUNNABLE, STOPPED", f.InitialFirst, f.InitialSecond)
	}
	for s := uapi.KVM_MP_STATE_RUNNABLE; s <= uapi.KVM_MP_STATE_SUSPENDED; s++ {
		want := unix.EINVAL
		if s == uapi.KVM_MP_STATE_RUNNABLE || s == uapi.KVM_MP_STATE_STOPPED {
			want = 0
		}
		if got := f.SetErrno(s); got != want {
			t.Errorf("SetErrno(%d) = %v, want %v", s, got, want)
		}
	}
	r, ok := f.SetRule(uapi.KVM_MP_STATE_INIT_RECEIVED)
	if !ok || r.Requires == "" || r.Source.Since != "6.16" {
		t.Errorf("INIT_RECEIVED rule %+v, %v; want conditional, since 6.16", r, ok)
	}
}

func TestSignals(t *testing.T) {
	if f := (Arch{}).Signals(); !f.SeenBeforeGuest || f.OlderKernelsDiffer {
		t.Errorf("%+v", f)
	}
}

// TestPCChange checks the CMP-14 answers: what each completion does when
// userspace moved the PC or changed the destination register during the
// exit, on each kernel path, and that none is left unsaid.
func TestPCChange(t *testing.T) {
	archtest.CheckPCChanges(t, Arch{}.Completions(), []archtest.PCChange{
		{Reason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead, Path: "", PC: arch.AppliedAtNewPC, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_MMIO, Access: arch.AccessWrite, Path: "", PC: arch.AppliedAtNewPC, Reg: arch.RegNone},
		{Reason: uapi.KVM_EXIT_RISCV_SBI, Access: arch.AccessNone, Path: "", PC: arch.AppliedAtNewPC, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_RISCV_CSR, Access: arch.AccessNone, Path: "", PC: arch.AppliedAtNewPC, Reg: arch.RegWritten},
	})
}
