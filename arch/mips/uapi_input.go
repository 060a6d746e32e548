//go:build ignore

// Input to `go tool cgo -godefs` for package mips (mips64 and mips64le): the
// MIPS part of <asm/kvm.h>. Regenerate with: go run ./tools/genabi

package mips

/*
#include <linux/kvm.h>
*/
import "C"

// Regs is struct kvm_regs (gpr[32], hi, lo, pc).
type Regs C.struct_kvm_regs

// ONE_REG ids.
const (
	KVM_REG_MIPS    = C.KVM_REG_MIPS
	KVM_REG_MIPS_PC = C.KVM_REG_MIPS_PC
)
