//go:build ignore

// Input to `go tool cgo -godefs` for package ppc64 (ppc64 and ppc64le): the
// powerpc part of <asm/kvm.h>. Regenerate with: go run ./tools/genabi

package ppc64

/*
#include <linux/kvm.h>
*/
import "C"

// Regs is struct kvm_regs (pc, cr, ctr, lr, xer, msr, srr0/1, pid, sprg0-7, gpr[32]).
type Regs C.struct_kvm_regs

// powerpc-only ioctls and capabilities.
const (
	KVM_GET_SREGS         = C.KVM_GET_SREGS
	KVM_SET_SREGS         = C.KVM_SET_SREGS
	KVM_CAP_PPC_MMU_RADIX = C.KVM_CAP_PPC_MMU_RADIX
)
