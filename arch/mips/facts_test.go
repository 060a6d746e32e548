package mips

import (
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
		{uapi.KVM_EXIT_MMIO, arch.AccessRead, "", arch.PCOverwritten, arch.RegWritten},
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
