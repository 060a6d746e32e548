//go:build linux && (mips64 || mips64le)

package mips

import (
	"testing"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// kernel-semantics.md §4.6 and §5.2.
func TestABI(t *testing.T) {
	var r Regs
	if unsafe.Sizeof(r) != 0x118 || uapi.SizeofRegs != 0x118 {
		t.Errorf("sizeof(struct kvm_regs) = %#x, want 0x118", unsafe.Sizeof(r))
	}
	if unsafe.Offsetof(r.Hi) != 256 || unsafe.Offsetof(r.Lo) != 264 || unsafe.Offsetof(r.Pc) != 272 {
		t.Errorf("hi@%d lo@%d pc@%d, want 256, 264, 272", unsafe.Offsetof(r.Hi), unsafe.Offsetof(r.Lo), unsafe.Offsetof(r.Pc))
	}
	if uapi.KVM_GET_REGS != 0x4118ae81 || uapi.KVM_RUN != 0x2000ae80 || uapi.KVM_SET_MP_STATE != 0x8004ae99 {
		t.Errorf("KVM_GET_REGS %#x KVM_RUN %#x KVM_SET_MP_STATE %#x", uapi.KVM_GET_REGS, uapi.KVM_RUN, uapi.KVM_SET_MP_STATE)
	}
	if KVM_REG_MIPS_PC != 0x7030000000000022 {
		t.Errorf("KVM_REG_MIPS_PC = %#x", uint64(KVM_REG_MIPS_PC))
	}
}

func TestField(t *testing.T) {
	var r Regs
	for i, g := range dumpOrder() {
		*field(&r, g) = uint64(i + 1)
	}
	if r.Pc != 1 || r.Hi != 2 || r.Lo != 3 || r.Gpr[0] != 0 || r.Gpr[1] != 4 || r.Gpr[31] != 34 {
		t.Errorf("field wrote %+v", r)
	}
}
