package arm64

import (
	"github.com/kvmconform/kvmconform/arch/archtest"
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestCompletions(t *testing.T) {
	f := Arch{}.Completions()
	for _, access := range []arch.Access{arch.AccessRead, arch.AccessWrite} {
		c, ok := f.Lookup(uapi.KVM_EXIT_MMIO, access)
		if !ok {
			t.Fatalf("no MMIO %v completion", access)
		}
		if c.PCAdvance != 4 || c.PCPastAtExit || !c.OnceOnly {
			t.Errorf("MMIO %v: %+v, want PC at the instruction, +4 at completion, once only", access, c)
		}
		if c.Source.File == "" || c.Source.Function == "" || c.Source.Since == "" {
			t.Errorf("MMIO %v: incomplete source %+v", access, c.Source)
		}
	}
	if len(f.Exits) != 2 {
		t.Errorf("%d completions, want 2 (MMIO read and write)", len(f.Exits))
	}
	if _, ok := f.Lookup(uapi.KVM_EXIT_HYPERCALL, arch.AccessNone); ok {
		t.Error("KVM_EXIT_HYPERCALL has no completion on arm64")
	}
}

func TestRegsIoctl(t *testing.T) {
	if f := (Arch{}).RegsIoctl(); f.Supported || f.Errno != unix.EINVAL {
		t.Errorf("RegsIoctl = %+v, want unsupported with EINVAL", f)
	}
}

func TestMPState(t *testing.T) {
	f := Arch{}.MPState()
	if !f.Supported || f.GetReturnsState {
		t.Errorf("%+v", f)
	}
	if f.InitialFirst != uapi.KVM_MP_STATE_RUNNABLE || f.InitialSecond != uapi.KVM_MP_STATE_RUNNABLE {
		t.Errorf("initial states %d, %d; want RUNNABLE", f.InitialFirst, f.InitialSecond)
	}
	if !f.PowerOffAtInit || f.InitialPoweredOff != uapi.KVM_MP_STATE_STOPPED {
		t.Errorf("POWER_OFF: %v %d", f.PowerOffAtInit, f.InitialPoweredOff)
	}
	accepted := map[uapi.MPState]bool{uapi.KVM_MP_STATE_RUNNABLE: true, uapi.KVM_MP_STATE_STOPPED: true, uapi.KVM_MP_STATE_SUSPENDED: true}
	for s := uapi.KVM_MP_STATE_RUNNABLE; s <= uapi.KVM_MP_STATE_SUSPENDED+1; s++ {
		want := unix.EINVAL
		if accepted[s] {
			want = 0
		}
		if got := f.SetErrno(s); got != want {
			t.Errorf("SetErrno(%d) = %v, want %v", s, got, want)
		}
	}
	if r, _ := f.SetRule(uapi.KVM_MP_STATE_SUSPENDED); r.Source.Since != "5.19" {
		t.Errorf("SUSPENDED since %q, want 5.19", r.Source.Since)
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
	})
}
