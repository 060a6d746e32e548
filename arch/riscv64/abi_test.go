//go:build linux && riscv64

package riscv64

import (
	"errors"
	"testing"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// Values from kernel-semantics.md §4.4, which prints a0 as
// 0x800300000200000A: that is a typo (a transposed digit) for
// KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | 10 =
// 0x803000000200000A, the value the generated RegA0 has.
func TestOneRegIDs(t *testing.T) {
	cases := map[string]uint64{
		"pc":   0x8030000002000000,
		"ra":   0x8030000002000001,
		"sp":   0x8030000002000002,
		"a0":   0x803000000200000A,
		"x10":  0x803000000200000A,
		"a1":   0x803000000200000B,
		"t6":   0x803000000200001F,
		"mode": 0x8030000002000020,
	}
	for name, want := range cases {
		got, err := RegID(name)
		if err != nil || got != want {
			t.Errorf("RegID(%q) = %#x, %v; want %#x", name, got, err, want)
		}
	}
	if RegA0 != RegPC+10 || RegMode != RegPC+32 {
		t.Errorf("generated ids RegA0 %#x RegMode %#x do not follow RegPC %#x", uint64(RegA0), uint64(RegMode), uint64(RegPC))
	}
	if _, err := RegID("zero"); !errors.Is(err, errZero) {
		t.Errorf("RegID(zero) error %v, want errZero", err)
	}
	for _, r := range dumpOrder() {
		id := r.id()
		if id&uapi.KVM_REG_ARCH_MASK != KVM_REG_RISCV || id&uapi.KVM_REG_SIZE_MASK != uapi.KVM_REG_SIZE_U64 {
			t.Errorf("%s: id %#x is not a 64-bit riscv register", r, id)
		}
	}
}

func TestABI(t *testing.T) {
	if uapi.SizeofRegs != 0 || uapi.KVM_GET_REGS != 0x8000ae81 {
		t.Errorf("struct kvm_regs is %d bytes, KVM_GET_REGS %#x; want 0 and 0x8000ae81", uapi.SizeofRegs, uapi.KVM_GET_REGS)
	}
}
