//go:build linux && amd64

package x86

import (
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
)

func TestCompletions(t *testing.T) {
	f := Arch{}.Completions()
	for _, tc := range []struct {
		exit    uint32
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
		{uapi.KVM_EXIT_IO, arch.AccessRead, "fast PIO", arch.Dropped, arch.RegWritten},
		{uapi.KVM_EXIT_IO, arch.AccessRead, "emulator", arch.PCOverwritten, arch.RegKept},
		{uapi.KVM_EXIT_IO, arch.AccessWrite, "fast PIO", arch.Dropped, arch.RegNone},
		{uapi.KVM_EXIT_IO, arch.AccessWrite, "emulator", arch.PCKept, arch.RegNone},
		{uapi.KVM_EXIT_MMIO, arch.AccessRead, "emulator", arch.PCOverwritten, arch.RegKept},
		{uapi.KVM_EXIT_MMIO, arch.AccessWrite, "emulator", arch.PCKept, arch.RegNone},
		{uapi.KVM_EXIT_X86_RDMSR, arch.AccessRead, "VMX", arch.AppliedAtNewPC, arch.RegWritten},
		{uapi.KVM_EXIT_X86_RDMSR, arch.AccessRead, "SVM", arch.PCOverwritten, arch.RegWritten},
		{uapi.KVM_EXIT_X86_RDMSR, arch.AccessRead, "SVM without NRIPS", arch.SkipsAtNewPC, arch.RegWritten},
		{uapi.KVM_EXIT_X86_RDMSR, arch.AccessRead, "emulator", arch.PCOverwritten, arch.RegWritten},
		{uapi.KVM_EXIT_X86_WRMSR, arch.AccessWrite, "VMX", arch.AppliedAtNewPC, arch.RegNone},
		{uapi.KVM_EXIT_X86_WRMSR, arch.AccessWrite, "SVM", arch.PCOverwritten, arch.RegNone},
		{uapi.KVM_EXIT_X86_WRMSR, arch.AccessWrite, "SVM without NRIPS", arch.SkipsAtNewPC, arch.RegNone},
		{uapi.KVM_EXIT_X86_WRMSR, arch.AccessWrite, "emulator", arch.PCOverwritten, arch.RegNone},
		{uapi.KVM_EXIT_HYPERCALL, arch.AccessNone, "VMX", arch.AppliedAtNewPC, arch.RegWritten},
		{uapi.KVM_EXIT_HYPERCALL, arch.AccessNone, "SVM", arch.PCOverwritten, arch.RegWritten},
		{uapi.KVM_EXIT_HYPERCALL, arch.AccessNone, "SVM without NRIPS", arch.SkipsAtNewPC, arch.RegWritten},
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
