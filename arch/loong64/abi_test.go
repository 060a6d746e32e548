//go:build linux && loong64

package loong64

import (
	"testing"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// kernel-semantics.md §4.5 and §5.2.
func TestABI(t *testing.T) {
	var r Regs
	if unsafe.Sizeof(r) != 0x108 || uapi.SizeofRegs != 0x108 {
		t.Errorf("sizeof(struct kvm_regs) = %#x, want 0x108", unsafe.Sizeof(r))
	}
	if unsafe.Offsetof(r.Pc) != 256 {
		t.Errorf("pc@%d, want 256", unsafe.Offsetof(r.Pc))
	}
	if uapi.KVM_GET_REGS != 0x8108ae81 || uapi.KVM_RUN != 0xae80 {
		t.Errorf("KVM_GET_REGS %#x KVM_RUN %#x, want 0x8108ae81, 0xae80", uapi.KVM_GET_REGS, uapi.KVM_RUN)
	}
}

func TestField(t *testing.T) {
	var r Regs
	for i, g := range dumpOrder() {
		*field(&r, g) = uint64(i + 1)
	}
	if r.Pc != 1 || r.Gpr[0] != 0 || r.Gpr[1] != 2 || r.Gpr[31] != 32 {
		t.Errorf("field wrote %+v", r)
	}
}
