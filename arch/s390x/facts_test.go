package s390x

import (
	"testing"

	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestFacts(t *testing.T) {
	a := Arch{}
	if n := len(a.Completions().Exits); n != 0 {
		t.Errorf("%d completions, want none on s390", n)
	}
	if f := a.RegsIoctl(); !f.Supported {
		t.Errorf("RegsIoctl = %+v", f)
	}
	m := a.MPState()
	if !m.Supported || !m.GetReturnsState || m.RejectErrno != unix.ENXIO {
		t.Errorf("MPState = %+v", m)
	}
	if m.InitialFirst != uapi.KVM_MP_STATE_STOPPED || m.InitialSecond != uapi.KVM_MP_STATE_STOPPED {
		t.Errorf("initial %d, %d; want STOPPED (5)", m.InitialFirst, m.InitialSecond)
	}
	for s := uapi.KVM_MP_STATE_RUNNABLE; s <= uapi.KVM_MP_STATE_SUSPENDED; s++ {
		want := unix.ENXIO
		if s == uapi.KVM_MP_STATE_STOPPED || s == uapi.KVM_MP_STATE_OPERATING {
			want = 0
		}
		if got := m.SetErrno(s); got != want {
			t.Errorf("SetErrno(%d) = %v, want %v", s, got, want)
		}
	}
	if r, ok := m.SetRule(uapi.KVM_MP_STATE_LOAD); !ok || r.Requires == "" {
		t.Errorf("LOAD rule %+v %v, want conditional on PV", r, ok)
	}
	s := a.Signals()
	if !s.SeenBeforeGuest || !s.OlderKernelsDiffer || !s.Accepts(false) || s.Source.Since != "6.19" {
		t.Errorf("Signals = %+v", s)
	}
}

// TestPCChange: s390x completes nothing, so CMP-14 has nothing to ask and
// the completion table has no s390x rows.
func TestPCChange(t *testing.T) {
	f := Arch{}.Completions()
	if m := f.Incomplete(); len(m) > 0 {
		t.Errorf("CMP-14 facts incomplete: %q", m)
	}
	if rows := f.Rows("s390x"); len(rows) != 0 {
		t.Errorf("s390x rows: %v", rows)
	}
}
