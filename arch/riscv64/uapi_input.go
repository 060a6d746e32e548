//go:build ignore

// Input to `go tool cgo -godefs` for package riscv64: the RISC-V part of
// <asm/kvm.h>. Regenerate with: go run ./tools/genabi

package riscv64

/*
#include <linux/kvm.h>

enum {
	reg_pc = KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.pc),
	reg_a0 = KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.a0),
	reg_mode = KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(mode),
};
*/
import "C"

// ONE_REG ids of the core registers: x<n> is RegPC + n (pc is index 0).
const (
	KVM_REG_RISCV      = C.KVM_REG_RISCV
	KVM_REG_RISCV_CORE = C.KVM_REG_RISCV_CORE
	RegPC              = C.reg_pc
	RegA0              = C.reg_a0
	RegMode            = C.reg_mode
)
