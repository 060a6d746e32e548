package ppc64

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
	}{{uapi.KVM_EXIT_MMIO, arch.AccessRead}, {uapi.KVM_EXIT_PAPR_HCALL, arch.AccessNone}} {
		c, ok := f.Lookup(k.reason, k.access)
		if !ok {
			t.Errorf("no completion for exit %d %v", k.reason, k.access)
			continue
		}
		if c.PCAdvance != 0 || !c.PCPastAtExit || !c.OnceOnly {
			t.Errorf("%s: %+v", c.Name(), c)
		}
	}
	if _, ok := f.Lookup(uapi.KVM_EXIT_MMIO, arch.AccessWrite); ok {
		t.Error("an MMIO write needs no completion on ppc")
	}
}

func TestRegsAndMPState(t *testing.T) {
	if f := (Arch{}).RegsIoctl(); !f.Supported {
		t.Errorf("RegsIoctl = %+v", f)
	}
	m := Arch{}.MPState()
	if m.Supported || m.UnsupportedErrno != unix.EINVAL {
		t.Errorf("MPState = %+v, want unsupported with EINVAL", m)
	}
	if e := m.SetErrno(uapi.KVM_MP_STATE_RUNNABLE); e != unix.EINVAL {
		t.Errorf("SetErrno(RUNNABLE) = %v, want EINVAL", e)
	}
	if s := (Arch{}).Signals(); !s.SeenBeforeGuest || s.OlderKernelsDiffer {
		t.Errorf("Signals = %+v", s)
	}
}

// TestPCChange checks the CMP-14 answers: what each completion does when
// userspace moved the PC or changed the destination register during the
// exit, on each kernel path, and that none is left unsaid.
func TestPCChange(t *testing.T) {
	archtest.CheckPCChanges(t, Arch{}.Completions(), []archtest.PCChange{
		{Reason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead, Path: "", PC: arch.PCKept, Reg: arch.RegWritten},
		{Reason: uapi.KVM_EXIT_PAPR_HCALL, Access: arch.AccessNone, Path: "", PC: arch.PCKept, Reg: arch.RegWritten},
	})
}
