package arch

import (
	"testing"

	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestSourceString(t *testing.T) {
	cases := []struct {
		s    Source
		want string
	}{
		{Source{File: "arch/arm64/kvm/arm.c", Function: "kvm_arch_vcpu_ioctl_run", Since: "4.11"},
			"arch/arm64/kvm/arm.c kvm_arch_vcpu_ioctl_run (Linux 4.11+)"},
		{Source{File: "a.c", Function: "f", Since: "6.7", Note: "hedge"}, "a.c f (Linux 6.7+; hedge)"},
		{Source{File: "a.c"}, "a.c"},
	}
	for _, c := range cases {
		if got := c.s.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestCompletionLookup(t *testing.T) {
	f := CompletionFacts{Exits: []Completion{
		{ExitReason: uapi.KVM_EXIT_MMIO, Access: AccessRead, PCAdvance: 4},
		{ExitReason: uapi.KVM_EXIT_MMIO, Access: AccessWrite, PCAdvance: 8},
		{ExitReason: uapi.KVM_EXIT_RISCV_SBI, PCAdvance: 12},
	}}
	for _, c := range []struct {
		reason uapi.ExitReason
		access Access
		ok     bool
		adv    uint64
	}{
		{uapi.KVM_EXIT_MMIO, AccessRead, true, 4},
		{uapi.KVM_EXIT_MMIO, AccessWrite, true, 8},
		{uapi.KVM_EXIT_MMIO, AccessNone, false, 0},
		{uapi.KVM_EXIT_RISCV_SBI, AccessNone, true, 12},
		{uapi.KVM_EXIT_IO, AccessRead, false, 0},
	} {
		got, ok := f.Lookup(c.reason, c.access)
		if ok != c.ok || got.PCAdvance != c.adv {
			t.Errorf("Lookup(%d, %v) = %+v, %v; want advance %d, %v", c.reason, c.access, got, ok, c.adv, c.ok)
		}
	}
	if n := (Completion{ExitReason: 6, Access: AccessRead}).Name(); n != "MMIO read" {
		t.Errorf("Name = %q", n)
	}
	if n := (Completion{ExitReason: 35}).Name(); n != "RISCV_SBI" {
		t.Errorf("Name = %q", n)
	}
}

func TestMPStateSetErrno(t *testing.T) {
	f := MPStateFacts{
		Supported: true,
		Set: []MPStateRule{
			{State: uapi.KVM_MP_STATE_RUNNABLE},
			{State: uapi.KVM_MP_STATE_INIT_RECEIVED, Requires: "a capability"},
		},
		RejectErrno: unix.EINVAL,
	}
	if e := f.SetErrno(uapi.KVM_MP_STATE_RUNNABLE); e != 0 {
		t.Errorf("RUNNABLE: %v", e)
	}
	if e := f.SetErrno(uapi.KVM_MP_STATE_INIT_RECEIVED); e != unix.EINVAL {
		t.Errorf("conditional INIT_RECEIVED without the condition: %v, want EINVAL", e)
	}
	if e := f.SetErrno(uapi.KVM_MP_STATE_HALTED); e != unix.EINVAL {
		t.Errorf("HALTED: %v", e)
	}
	if _, ok := f.SetRule(uapi.KVM_MP_STATE_HALTED); ok {
		t.Error("SetRule(HALTED) found a rule")
	}
	u := MPStateFacts{UnsupportedErrno: unix.ENOTTY, RejectErrno: unix.EINVAL}
	if e := u.SetErrno(uapi.KVM_MP_STATE_RUNNABLE); e != unix.ENOTTY {
		t.Errorf("unsupported: %v, want ENOTTY", e)
	}
}

func TestSignalAccepts(t *testing.T) {
	if !(SignalFacts{SeenBeforeGuest: true}).Accepts(true) || (SignalFacts{SeenBeforeGuest: true}).Accepts(false) {
		t.Error("fixed true")
	}
	if (SignalFacts{}).Accepts(true) || !(SignalFacts{}).Accepts(false) {
		t.Error("fixed false")
	}
	both := SignalFacts{SeenBeforeGuest: true, OlderKernelsDiffer: true}
	if !both.Accepts(true) || !both.Accepts(false) {
		t.Error("version-dependent")
	}
}

func TestAccessString(t *testing.T) {
	for a, want := range map[Access]string{AccessNone: "call", AccessRead: "read", AccessWrite: "write", 9: "Access(9)"} {
		if got := a.String(); got != want {
			t.Errorf("%d: %q", a, got)
		}
	}
}

func TestPCChangeStrings(t *testing.T) {
	for p, want := range map[PCChange]string{PCChangeUnknown: "unknown", Dropped: "dropped", PCOverwritten: "PC overwritten",
		AppliedAtNewPC: "applied at the new PC", PCKept: "applied, PC kept", SkipsAtNewPC: "skips the instruction at the new PC", 9: "PCChange(9)"} {
		if got := p.String(); got != want {
			t.Errorf("PCChange %d: %q, want %q", p, got, want)
		}
	}
	for r, want := range map[RegChange]string{RegChangeUnknown: "unknown", RegWritten: "written over it",
		RegKept: "userspace value kept", RegNone: "no register", 9: "RegChange(9)"} {
		if got := r.String(); got != want {
			t.Errorf("RegChange %d: %q, want %q", r, got, want)
		}
	}
}

func TestCompletionPathsAndIncomplete(t *testing.T) {
	src := Source{File: "a.c", Function: "f", Since: "6.1"}
	c := Completion{ExitReason: uapi.KVM_EXIT_IO, Access: AccessRead, Path: "fast PIO",
		OnPCChange: Dropped, OnRegChange: RegWritten, PCChangeSource: src,
		OtherPaths: []CompletionPath{{Name: "emulator", OnPCChange: PCOverwritten, OnRegChange: RegKept, Source: src}}}
	paths := c.Paths()
	if len(paths) != 2 || paths[0].Name != "fast PIO" || paths[0].OnPCChange != Dropped || paths[1].Name != "emulator" {
		t.Fatalf("Paths = %+v", paths)
	}
	if m := (CompletionFacts{Exits: []Completion{c}}).Incomplete(); len(m) != 0 {
		t.Errorf("complete facts reported incomplete: %q", m)
	}
	for name, bad := range map[string]Completion{
		"no PC answer":       {ExitReason: 6, OnRegChange: RegNone, PCChangeSource: src},
		"no register answer": {ExitReason: 6, OnPCChange: Dropped, PCChangeSource: src},
		"no since":           {ExitReason: 6, OnPCChange: Dropped, OnRegChange: RegNone, PCChangeSource: Source{File: "a.c", Function: "f"}},
		"unnamed paths":      {ExitReason: 6, OnPCChange: Dropped, OnRegChange: RegNone, PCChangeSource: src, OtherPaths: []CompletionPath{{Name: "x", OnPCChange: Dropped, OnRegChange: RegNone, Source: src}}},
		"PCKept at the insn": {ExitReason: 6, OnPCChange: PCKept, OnRegChange: RegNone, PCChangeSource: src},
		"bad path answer":    {ExitReason: 6, Path: "a", OnPCChange: Dropped, OnRegChange: RegNone, PCChangeSource: src, OtherPaths: []CompletionPath{{Name: "b", OnRegChange: RegNone, Source: src}}},
	} {
		if m := (CompletionFacts{Exits: []Completion{bad}}).Incomplete(); len(m) != 1 {
			t.Errorf("%s: Incomplete = %q, want one complaint", name, m)
		}
	}
}
