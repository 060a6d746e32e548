//go:build ignore

// Input to `go tool cgo -godefs` for package arm64: the arm64 part of
// <asm/kvm.h>, the PSTATE bits of <asm/ptrace.h> and the PSCI function ids
// of <linux/psci.h>.
// Regenerate with: go run ./tools/genabi

package arm64

/*
#include <stddef.h>
#include <linux/kvm.h>
#include <linux/psci.h>
#include <asm/ptrace.h>

#define CORE_ID(f) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, f) / sizeof(__u32)))
enum {
	reg_x0 = CORE_ID(regs.regs[0]),
	reg_sp = CORE_ID(regs.sp),
	reg_pc = CORE_ID(regs.pc),
	reg_pstate = CORE_ID(regs.pstate),
};
*/
import "C"

// arm64-only ioctls and vCPU features.
const (
	KVM_ARM_PREFERRED_TARGET = C.KVM_ARM_PREFERRED_TARGET
	KVM_ARM_VCPU_INIT        = C.KVM_ARM_VCPU_INIT
	KVM_ARM_VCPU_POWER_OFF   = C.KVM_ARM_VCPU_POWER_OFF
	KVM_ARM_VCPU_PSCI_0_2    = C.KVM_ARM_VCPU_PSCI_0_2
	KVM_GET_VCPU_EVENTS      = C.KVM_GET_VCPU_EVENTS
	KVM_SET_VCPU_EVENTS      = C.KVM_SET_VCPU_EVENTS
)

// ONE_REG ids of the core registers (struct kvm_regs offset / 4); x<n> is
// RegX0 + 2*n.
const (
	KVM_REG_ARM64    = C.KVM_REG_ARM64
	KVM_REG_ARM_CORE = C.KVM_REG_ARM_CORE
	RegX0            = C.reg_x0
	RegSP            = C.reg_sp
	RegPC            = C.reg_pc
	RegPSTATE        = C.reg_pstate
)

// PSCI function ids and return values.
const (
	PSCI_0_2_FN64_CPU_ON        = C.PSCI_0_2_FN64_CPU_ON
	PSCI_0_2_FN_CPU_OFF         = C.PSCI_0_2_FN_CPU_OFF
	PSCI_0_2_FN64_AFFINITY_INFO = C.PSCI_0_2_FN64_AFFINITY_INFO
	PSCI_0_2_FN_SYSTEM_OFF      = C.PSCI_0_2_FN_SYSTEM_OFF
	PSCI_RET_SUCCESS            = C.PSCI_RET_SUCCESS
	PSCI_RET_INVALID_PARAMS     = C.PSCI_RET_INVALID_PARAMS
	PSCI_RET_ALREADY_ON         = C.PSCI_RET_ALREADY_ON
)

// PSTATE bits (<asm/ptrace.h>): the mode field and the D, A, I, F masks.
const (
	PSR_MODE_EL1h = C.PSR_MODE_EL1h
	PSR_F_BIT     = C.PSR_F_BIT
	PSR_I_BIT     = C.PSR_I_BIT
	PSR_A_BIT     = C.PSR_A_BIT
	PSR_D_BIT     = C.PSR_D_BIT
)

// VCPUInit is struct kvm_vcpu_init.
type VCPUInit C.struct_kvm_vcpu_init
