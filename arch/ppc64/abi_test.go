//go:build linux && (ppc64 || ppc64le)

package ppc64

import (
	"testing"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// kernel-semantics.md §4.6 and §5.2; qemu-nested.md (pc at 0, msr at 40).
func TestABI(t *testing.T) {
	var r Regs
	if unsafe.Sizeof(r) != 0x188 || uapi.SizeofRegs != 0x188 {
		t.Errorf("sizeof(struct kvm_regs) = %#x (uapi %#x), want 0x188", unsafe.Sizeof(r), uapi.SizeofRegs)
	}
	if unsafe.Offsetof(r.Pc) != 0 || unsafe.Offsetof(r.Msr) != 40 || unsafe.Offsetof(r.Gpr) != 136 {
		t.Errorf("offsets pc %d msr %d gpr %d, want 0, 40, 136", unsafe.Offsetof(r.Pc), unsafe.Offsetof(r.Msr), unsafe.Offsetof(r.Gpr))
	}
	for name, got := range map[string]uint64{"KVM_GET_REGS": uapi.KVM_GET_REGS, "KVM_RUN": uapi.KVM_RUN, "KVM_GET_MP_STATE": uapi.KVM_GET_MP_STATE, "KVM_ENABLE_CAP": uapi.KVM_ENABLE_CAP} {
		want := map[string]uint64{"KVM_GET_REGS": 0x4188ae81, "KVM_RUN": 0x2000ae80, "KVM_GET_MP_STATE": 0x4004ae98, "KVM_ENABLE_CAP": 0x8068aea3}[name]
		if got != want {
			t.Errorf("%s = %#x, want %#x", name, got, want)
		}
	}
	if uapi.KVM_CAP_PPC_PAPR != 68 {
		t.Errorf("KVM_CAP_PPC_PAPR = %d, want 68", uapi.KVM_CAP_PPC_PAPR)
	}
}

func TestField(t *testing.T) {
	var r Regs
	for i, g := range dumpOrder() {
		*field(&r, g) = uint64(i + 1)
	}
	if r.Pc != 1 || r.Msr != 2 || r.Lr != 3 || r.Ctr != 4 || r.Cr != 5 || r.Xer != 6 || r.Srr0 != 7 || r.Srr1 != 8 || r.Gpr[0] != 9 || r.Gpr[31] != 40 {
		t.Errorf("field wrote %+v", r)
	}
}
