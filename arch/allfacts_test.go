package arch_test

import (
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/arm64"
	"github.com/kvmconform/kvmconform/arch/loong64"
	"github.com/kvmconform/kvmconform/arch/mips"
	"github.com/kvmconform/kvmconform/arch/ppc64"
	"github.com/kvmconform/kvmconform/arch/riscv64"
	"github.com/kvmconform/kvmconform/arch/s390x"
	"github.com/kvmconform/kvmconform/arch/x86"
	"github.com/kvmconform/kvmconform/internal/uapi"
)

// TestEveryArchitecturesFacts checks every architecture's facts, whatever
// GOARCH this test binary runs on (the cross unit tests run it under each
// qemu-user): each says everything CMP-14 asks, cites a full source for
// every answer, names the spec line of its MMIO read completion, and keeps
// its mp_state rules consistent with what it supports.
func TestEveryArchitecturesFacts(t *testing.T) {
	for name, f := range map[string]arch.Facts{
		"x86": x86.Arch{}, "arm64": arm64.Arch{}, "ppc64": ppc64.Arch{}, "s390x": s390x.Arch{},
		"mips": mips.Arch{}, "riscv64": riscv64.Arch{}, "loong64": loong64.Arch{},
	} {
		full := func(what string, s arch.Source) {
			if s.File == "" || s.Function == "" || s.Since == "" {
				t.Errorf("%s: %s: incomplete source %q", name, what, s)
			}
		}
		c := f.Completions()
		if missing := c.Incomplete(); len(missing) > 0 {
			t.Errorf("%s: CMP-14 facts leave unsaid: %v", name, missing)
		}
		for _, e := range c.Exits {
			full(e.Name(), e.Source)
		}
		if mmio, ok := c.Lookup(uapi.KVM_EXIT_MMIO, arch.AccessRead); ok && mmio.Spec == "" {
			t.Errorf("%s: the MMIO read completion names no spec line", name)
		}
		r := f.RegsIoctl()
		full("RegsIoctl", r.Source)
		if r.Supported != (r.Errno == 0) {
			t.Errorf("%s: RegsIoctl %+v: an errno exactly when unsupported", name, r)
		}
		m := f.MPState()
		full("MPState", m.Source)
		switch {
		case m.Supported && (m.UnsupportedErrno != 0 || m.RejectErrno == 0 || len(m.Set) == 0):
			t.Errorf("%s: MPState %+v: supported, so rules and a reject errno and no unsupported errno", name, m)
		case !m.Supported && (m.UnsupportedErrno == 0 || len(m.Set) > 0):
			t.Errorf("%s: MPState %+v: unsupported, so an errno and no rules", name, m)
		}
		for _, rule := range m.Set {
			full("KVM_SET_MP_STATE "+rule.State.String(), rule.Source)
		}
		full("Signals", f.Signals().Source)
		if mm := f.VCPUMmap(); mm.MinPages < 1 {
			t.Errorf("%s: VCPUMmap %+v: kvm_run takes a page", name, mm)
		} else {
			full("VCPUMmap", mm.Source)
		}
	}
}
