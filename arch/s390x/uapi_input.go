//go:build ignore

// Input to `go tool cgo -godefs` for package s390x: the s390 part of
// <asm/kvm.h> and <linux/kvm.h>. Regenerate with: go run ./tools/genabi

package s390x

/*
#include <stddef.h>
#include <linux/kvm.h>

enum {
	off_run_psw_mask = offsetof(struct kvm_run, psw_mask),
	off_run_psw_addr = offsetof(struct kvm_run, psw_addr),
};
*/
import "C"

// Regs is struct kvm_regs (gprs[16]); the PSW lives in kvm_run.
type Regs C.struct_kvm_regs

// s390-only ioctls, sync-reg bits and kvm_run offsets.
const (
	KVM_S390_INITIAL_RESET = C.KVM_S390_INITIAL_RESET
	KVM_S390_NORMAL_RESET  = C.KVM_S390_NORMAL_RESET
	KVM_S390_CLEAR_RESET   = C.KVM_S390_CLEAR_RESET
	KVM_SYNC_PREFIX        = C.KVM_SYNC_PREFIX
	KVM_SYNC_GPRS          = C.KVM_SYNC_GPRS
	KVM_SYNC_ACRS          = C.KVM_SYNC_ACRS
	KVM_SYNC_CRS           = C.KVM_SYNC_CRS
	OffRunPSWMask          = C.off_run_psw_mask
	OffRunPSWAddr          = C.off_run_psw_addr
)
