package mips

import (
	"github.com/kvmconform/kvmconform/arch/archtest"
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestFacts(t *testing.T) {
	a := Arch{}
	c, ok := a.Completions().Lookup(uapi.KVM_EXIT_MMIO, arch.AccessRead)
	if !ok || c.PCAdvance != 4 || c.PCPastAtExit || !c.OnceOnly {
		t.Errorf("MMIO read completion %+v, %v", c, ok)
	}
	if _, ok := a.Completions().Lookup(uapi.KVM_EXIT_MMIO, arch.AccessWrite); ok {
		t.Error("a store needs no completion on mips")
	}
	if f := a.RegsIoctl(); !f.Supported {
		t.Errorf("RegsIoctl = %+v", f)
	}
	m := a.MPState()
	if m.Supported || m.UnsupportedErrno != unix.ENOTTY || m.SetErrno(uapi.KVM_MP_STATE_RUNNABLE) != unix.ENOTTY {
		t.Errorf("MPState = %+v, want unsupported with ENOTTY", m)
	}
	s := a.Signals()
	if s.SeenBeforeGuest || s.OlderKernelsDiffer || s.Accepts(true) {
		t.Errorf("Signals = %+v, want seen only after the first exit", s)
	}
}

// TestPCChange checks the CMP-14 answers: what each completion does when
// userspace moved the PC or changed the destination register during the
// exit, on each kernel path, and that none is left unsaid.
func TestPCChange(t *testing.T) {
	archtest.CheckPCChanges(t, Arch{}.Completions(), []archtest.PCChange{
		{Reason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead, Path: "", PC: arch.PCOverwritten, Reg: arch.RegWritten},
	})
}
