//go:build ignore

// Input to `go tool cgo -godefs` for package x86 (amd64 only): the x86 part
// of <asm/kvm.h>. Regenerate with: go run ./tools/genabi

package x86

/*
#include <stddef.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>

enum {
	off_events_smi_smm = offsetof(struct kvm_vcpu_events, smi.smm),
	off_events_smi_latched_init = offsetof(struct kvm_vcpu_events, smi.latched_init),
	off_events_sipi_vector = offsetof(struct kvm_vcpu_events, sipi_vector),
	off_events_flags = offsetof(struct kvm_vcpu_events, flags),
	size_of_events = sizeof(struct kvm_vcpu_events),
	off_nested_flags = offsetof(struct kvm_nested_state, flags),
	off_nested_format = offsetof(struct kvm_nested_state, format),
	off_nested_size = offsetof(struct kvm_nested_state, size),
	off_nested_svm_vmcb_pa = offsetof(struct kvm_nested_state, hdr.svm.vmcb_pa),
	off_nested_data = offsetof(struct kvm_nested_state, data),
	size_of_nested_header = sizeof(struct kvm_nested_state),
	off_sync_regs_regs = offsetof(struct kvm_sync_regs, regs),
};
*/
import "C"

// x86-only ioctls.
const (
	KVM_GET_SREGS             = C.KVM_GET_SREGS
	KVM_SET_SREGS             = C.KVM_SET_SREGS
	KVM_GET_VCPU_EVENTS       = C.KVM_GET_VCPU_EVENTS
	KVM_SET_VCPU_EVENTS       = C.KVM_SET_VCPU_EVENTS
	KVM_GET_MSRS              = C.KVM_GET_MSRS
	KVM_SET_MSRS              = C.KVM_SET_MSRS
	KVM_SET_CPUID2            = C.KVM_SET_CPUID2
	KVM_GET_SUPPORTED_CPUID   = C.KVM_GET_SUPPORTED_CPUID
	KVM_SET_TSS_ADDR          = C.KVM_SET_TSS_ADDR
	KVM_SET_IDENTITY_MAP_ADDR = C.KVM_SET_IDENTITY_MAP_ADDR
	KVM_GET_LAPIC             = C.KVM_GET_LAPIC
	KVM_SET_LAPIC             = C.KVM_SET_LAPIC
	KVM_GET_NESTED_STATE      = C.KVM_GET_NESTED_STATE
	KVM_SET_NESTED_STATE      = C.KVM_SET_NESTED_STATE
)

// Nested virtualisation: capabilities, struct kvm_nested_state (a header
// padded to 128 bytes, then the vendor's data; cgo cannot name its unions,
// so it is handled as bytes with the Off* offsets below) and its flags.
const (
	KVM_CAP_NESTED_STATE           = C.KVM_CAP_NESTED_STATE
	KVM_CAP_X86_GUEST_MODE         = C.KVM_CAP_X86_GUEST_MODE
	KVM_RUN_X86_GUEST_MODE         = C.KVM_RUN_X86_GUEST_MODE
	KVM_STATE_NESTED_FORMAT_VMX    = C.KVM_STATE_NESTED_FORMAT_VMX
	KVM_STATE_NESTED_FORMAT_SVM    = C.KVM_STATE_NESTED_FORMAT_SVM
	KVM_STATE_NESTED_GUEST_MODE    = C.KVM_STATE_NESTED_GUEST_MODE
	KVM_STATE_NESTED_RUN_PENDING   = C.KVM_STATE_NESTED_RUN_PENDING
	KVM_STATE_NESTED_EVMCS         = C.KVM_STATE_NESTED_EVMCS
	KVM_STATE_NESTED_MTF_PENDING   = C.KVM_STATE_NESTED_MTF_PENDING
	KVM_STATE_NESTED_GIF_SET       = C.KVM_STATE_NESTED_GIF_SET
	KVM_STATE_NESTED_SVM_VMCB_SIZE = C.KVM_STATE_NESTED_SVM_VMCB_SIZE
	KVM_STATE_NESTED_VMX_VMCS_SIZE = C.KVM_STATE_NESTED_VMX_VMCS_SIZE
	OffNestedFlags                 = C.off_nested_flags
	OffNestedFormat                = C.off_nested_format
	OffNestedSize                  = C.off_nested_size
	OffNestedSVMVMCBPA             = C.off_nested_svm_vmcb_pa
	OffNestedData                  = C.off_nested_data
	SizeofNestedStateHeader        = C.size_of_nested_header
)

// kvm_vcpu_events flags, sync regs and run flags. OffSyncRegsRegs is where
// struct kvm_regs sits in struct kvm_sync_regs (kvm_run.s.regs), whose
// other members cgo cannot name.
const (
	KVM_VCPUEVENT_VALID_NMI_PENDING = C.KVM_VCPUEVENT_VALID_NMI_PENDING
	KVM_VCPUEVENT_VALID_SIPI_VECTOR = C.KVM_VCPUEVENT_VALID_SIPI_VECTOR
	KVM_VCPUEVENT_VALID_SHADOW      = C.KVM_VCPUEVENT_VALID_SHADOW
	KVM_VCPUEVENT_VALID_SMM         = C.KVM_VCPUEVENT_VALID_SMM
	KVM_SYNC_X86_REGS               = C.KVM_SYNC_X86_REGS
	KVM_SYNC_X86_SREGS              = C.KVM_SYNC_X86_SREGS
	KVM_SYNC_X86_EVENTS             = C.KVM_SYNC_X86_EVENTS
	KVM_RUN_X86_SMM                 = C.KVM_RUN_X86_SMM
	KVM_RUN_X86_BUS_LOCK            = C.KVM_RUN_X86_BUS_LOCK
	OffEventsSmiSmm                 = C.off_events_smi_smm
	OffEventsSmiLatchedInit         = C.off_events_smi_latched_init
	OffEventsSipiVector             = C.off_events_sipi_vector
	OffEventsFlags                  = C.off_events_flags
	SizeofVCPUEvents                = C.size_of_events
	OffSyncRegsRegs                 = C.off_sync_regs_regs
)

// Hypercall numbers (<linux/kvm_para.h>). KVM_CAP_EXIT_HYPERCALL reports,
// and KVM_ENABLE_CAP takes, a mask with bit n set for hypercall n exiting to
// userspace; x86 offers only 1 << KVM_HC_MAP_GPA_RANGE
// (arch/x86/kvm/x86.h KVM_EXIT_HYPERCALL_VALID_MASK). The numbers are
// generic, but they are generated here rather than in internal/uapi:
// <linux/kvm_para.h> includes <asm/kvm_para.h>, which the pinned riscv64
// headers do not have.
const (
	KVM_HC_MAP_GPA_RANGE = C.KVM_HC_MAP_GPA_RANGE
)

// Register and state structures. struct kvm_vcpu_events has anonymous
// nested structs that cgo cannot name: it is handled as SizeofVCPUEvents bytes
// with the Off* offsets above.
type (
	Regs         C.struct_kvm_regs
	Segment      C.struct_kvm_segment
	DTable       C.struct_kvm_dtable
	Sregs        C.struct_kvm_sregs
	MSREntry     C.struct_kvm_msr_entry
	MSRsHeader   C.struct_kvm_msrs
	CPUIDEntry2  C.struct_kvm_cpuid_entry2
	CPUID2Header C.struct_kvm_cpuid2
	LAPICState   C.struct_kvm_lapic_state
)
