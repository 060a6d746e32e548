package loong64

import (
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
	for s := uint32(0); s <= uapi.KVM_MP_STATE_SUSPENDED; s++ {
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
	f := Arch{}.Completions()
	if m := f.Incomplete(); len(m) > 0 {
		t.Errorf("CMP-14 facts incomplete: %q", m)
	}
	for _, w := range []struct {
		reason uint32
		access arch.Access
		path   string
		pc     arch.PCChange
		reg    arch.RegChange
	}{
		{uapi.KVM_EXIT_MMIO, arch.AccessRead, "", arch.AppliedAtNewPC, arch.RegWritten},
		{uapi.KVM_EXIT_LOONGARCH_IOCSR, arch.AccessRead, "", arch.PCKept, arch.RegWritten},
		{uapi.KVM_EXIT_HYPERCALL, arch.AccessNone, "", arch.AppliedAtNewPC, arch.RegWritten},
	} {
		c, ok := f.Lookup(w.reason, w.access)
		if !ok {
			t.Errorf("no completion for exit %d %v", w.reason, w.access)
			continue
		}
		found := false
		for _, p := range c.Paths() {
			if p.Name != w.path {
				continue
			}
			found = true
			if p.OnPCChange != w.pc || p.OnRegChange != w.reg {
				t.Errorf("%s path %q: %v / %v, want %v / %v", c.Name(), w.path, p.OnPCChange, p.OnRegChange, w.pc, w.reg)
			}
		}
		if !found {
			t.Errorf("%s: no path %q", c.Name(), w.path)
		}
	}
}
