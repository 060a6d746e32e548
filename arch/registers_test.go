package arch

import (
	"errors"
	"testing"

	"github.com/kvmconform/kvmconform/kvm"
)

type testReg int

func (r testReg) String() string { return []string{"a", "b", "c"}[r] }

func TestRegisterFile(t *testing.T) {
	vals := map[testReg]uint64{0: 1, 1: 0x20}
	f := RegisterFile[testReg]{
		Lookup: func(name string) (testReg, error) {
			for r := testReg(0); r < 3; r++ {
				if r.String() == name {
					return r, nil
				}
			}
			return 0, errors.New("no register " + name)
		},
		Get: func(_ *kvm.VCPU, r testReg) (uint64, error) {
			if r == 2 {
				return 0, errors.New("unreadable")
			}
			return vals[r], nil
		},
		Set:   func(_ *kvm.VCPU, r testReg, v uint64) error { vals[r] = v; return nil },
		Order: []testReg{0, 1, 2},
	}
	if got := f.Dump(nil); got != "a=0x1 b=0x20 (unreadable)" {
		t.Errorf("Dump = %q", got)
	}
	if err := f.SetReg(nil, "b", 7); err != nil || vals[1] != 7 {
		t.Errorf("SetReg: %v, b = %d", err, vals[1])
	}
	if v, err := f.Reg(nil, "b"); err != nil || v != 7 {
		t.Errorf("Reg(b) = %d, %v", v, err)
	}
	if _, err := f.Reg(nil, "z"); err == nil {
		t.Errorf("Reg(z) succeeded")
	}
}
