package loong64

import (
	"github.com/kvmconform/kvmconform/arch/archtest"
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestFacts(t *testing.T) {
	a := Arch{}
	f := a.Completions()
	mmio, ok := f.Lookup(uapi.KVM_EXIT_MMIO, arch.AccessRead)
	if !ok || mmio.PCAdvance != 4 || mmio.PCPastAtExit || !mmio.OnceOnly {
		t.Errorf("MMIO read %+v, %v", mmio, ok)
	}
	iocsr, ok := f.Lookup(uapi.KVM_EXIT_LOONGARCH_IOCSR, arch.AccessRead)
	if !ok || iocsr.PCAdvance != 0 || !iocsr.PCPastAtExit || iocsr.OnceOnly {
		t.Errorf("IOCSR read %+v, %v", iocsr, ok)
	}
	hc, ok := f.Lookup(uapi.KVM_EXIT_HYPERCALL, arch.AccessNone)
	if !ok || hc.PCAdvance != 4 || hc.OnceOnly {
		t.Errorf("hypercall %+v, %v", hc, ok)
	}
	if _, ok := f.Lookup(uapi.KVM_EXIT_MMIO, arch.AccessWrite); ok {
		t.Error("an MMIO write needs no completion on loongarch")
	}
	if r := a.RegsIoctl(); !r.Supported {
		t.Errorf("RegsIoctl = %+v", r)
	}
	m := a.MPState()
	if !m.Supported || m.InitialFirst != uapi.KVM_MP_STATE_RUNNABLE || m.InitialSecond != uapi.KVM_MP_STATE_RUNNABLE {
		t.Errorf("MPState = %+v", m)
	}
	for s := uapi.KVM_MP_STATE_RUNNABLE; s <= uapi.KVM_MP_STATE_SUSPENDED; s++ {
		want := unix.EINVAL
		if s == uapi.KVM_MP_STATE_RUNNABLE {
			want = 0
		}
		if got := m.SetErrno(s); got != want {
			t.Errorf("SetErrno(%d) = %v, want %v", s, got, want)
		}
	}
	if s := a.Signals(); !s.SeenBeforeGuest || s.OlderKernelsDiffer {
		t.Errorf("Signals = %+v", s)
	}
}

// TestPCChange checks the CMP-14 answers: what each completion does when
// userspace moved the PC or changed the destination register during the
// exit, on each kernel path, and that none is left unsaid.
func TestPCChange(t *testing.T) {
	archtest.CheckPCChanges(t, Arch{}.Completions(), []archtest.PCChange{
		{Reason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead, Path: "", PC: arch.AppliedAtNewPC, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_LOONGARCH_IOCSR, Access: arch.AccessRead, Path: "", PC: arch.PCKept, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_HYPERCALL, Access: arch.AccessNone, Path: "", PC: arch.AppliedAtNewPC, Reg: arch.RegWritten},
	})
}
