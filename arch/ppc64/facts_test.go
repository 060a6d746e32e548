package ppc64

import (
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestCompletions(t *testing.T) {
	f := Arch{}.Completions()
	for _, k := range []struct {
		reason uint32
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
		{uapi.KVM_EXIT_MMIO, arch.AccessRead, "", arch.PCKept, arch.RegWritten},
		{uapi.KVM_EXIT_PAPR_HCALL, arch.AccessNone, "", arch.PCKept, arch.RegWritten},
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
