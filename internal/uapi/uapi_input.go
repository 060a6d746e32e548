//go:build ignore

// Input to `go tool cgo -godefs` for package uapi: the part of
// <linux/kvm.h> that has the same names on every architecture. The values
// (ioctl numbers, sizes, offsets) still differ per GOARCH and are generated
// per GOARCH into zuapi_linux_<goarch>.go by tools/genabi.

package uapi

/*
#include <stddef.h>
#include <linux/kvm.h>
#include <asm/sigcontext.h>

enum {
	off_run_request_interrupt_window = offsetof(struct kvm_run, request_interrupt_window),
	off_run_immediate_exit = offsetof(struct kvm_run, immediate_exit),
	off_run_exit_reason = offsetof(struct kvm_run, exit_reason),
	off_run_ready_for_interrupt_injection = offsetof(struct kvm_run, ready_for_interrupt_injection),
	off_run_if_flag = offsetof(struct kvm_run, if_flag),
	off_run_flags = offsetof(struct kvm_run, flags),
	off_run_cr8 = offsetof(struct kvm_run, cr8),
	off_run_apic_base = offsetof(struct kvm_run, apic_base),
	off_run_exit_union = offsetof(struct kvm_run, hw),
	off_run_io_direction = offsetof(struct kvm_run, io.direction),
	off_run_io_size = offsetof(struct kvm_run, io.size),
	off_run_io_port = offsetof(struct kvm_run, io.port),
	off_run_io_count = offsetof(struct kvm_run, io.count),
	off_run_io_data_offset = offsetof(struct kvm_run, io.data_offset),
	off_run_mmio_phys_addr = offsetof(struct kvm_run, mmio.phys_addr),
	off_run_mmio_data = offsetof(struct kvm_run, mmio.data),
	off_run_mmio_len = offsetof(struct kvm_run, mmio.len),
	off_run_mmio_is_write = offsetof(struct kvm_run, mmio.is_write),
	off_run_hypercall_nr = offsetof(struct kvm_run, hypercall.nr),
	off_run_hypercall_args = offsetof(struct kvm_run, hypercall.args),
	off_run_hypercall_ret = offsetof(struct kvm_run, hypercall.ret),
	off_run_hypercall_flags = offsetof(struct kvm_run, hypercall.flags),
	off_run_msr_error = offsetof(struct kvm_run, msr.error),
	off_run_msr_reason = offsetof(struct kvm_run, msr.reason),
	off_run_msr_index = offsetof(struct kvm_run, msr.index),
	off_run_msr_data = offsetof(struct kvm_run, msr.data),
	off_run_system_event_type = offsetof(struct kvm_run, system_event.type),
	off_run_system_event_ndata = offsetof(struct kvm_run, system_event.ndata),
	off_run_system_event_data = offsetof(struct kvm_run, system_event.data),
	off_run_papr_hcall_nr = offsetof(struct kvm_run, papr_hcall.nr),
	off_run_papr_hcall_ret = offsetof(struct kvm_run, papr_hcall.ret),
	off_run_papr_hcall_args = offsetof(struct kvm_run, papr_hcall.args),
	off_run_riscv_sbi_extension_id = offsetof(struct kvm_run, riscv_sbi.extension_id),
	off_run_riscv_sbi_function_id = offsetof(struct kvm_run, riscv_sbi.function_id),
	off_run_riscv_sbi_args = offsetof(struct kvm_run, riscv_sbi.args),
	off_run_riscv_sbi_ret = offsetof(struct kvm_run, riscv_sbi.ret),
	off_run_s390_sieic_icptcode = offsetof(struct kvm_run, s390_sieic.icptcode),
	off_run_s390_sieic_ipa = offsetof(struct kvm_run, s390_sieic.ipa),
	off_run_s390_sieic_ipb = offsetof(struct kvm_run, s390_sieic.ipb),
	off_run_arm_nisv_esr_iss = offsetof(struct kvm_run, arm_nisv.esr_iss),
	off_run_arm_nisv_fault_ipa = offsetof(struct kvm_run, arm_nisv.fault_ipa),
	off_run_internal_suberror = offsetof(struct kvm_run, internal.suberror),
	off_run_fail_entry_reason = offsetof(struct kvm_run, fail_entry.hardware_entry_failure_reason),
	off_run_kvm_valid_regs = offsetof(struct kvm_run, kvm_valid_regs),
	off_run_kvm_dirty_regs = offsetof(struct kvm_run, kvm_dirty_regs),
	off_run_sync_regs = offsetof(struct kvm_run, s),
	size_of_run = sizeof(struct kvm_run),
	size_of_kvm_regs = sizeof(struct kvm_regs),
	size_of_kvm_signal_mask = sizeof(struct kvm_signal_mask),
};
*/
import "C"

// ioctl request numbers: the same names everywhere, encoded per architecture
// (asm/ioctl.h: mips and powerpc use 3 direction bits and 13 size bits).
const (
	KVM_GET_API_VERSION        = C.KVM_GET_API_VERSION
	KVM_CREATE_VM              = C.KVM_CREATE_VM
	KVM_CHECK_EXTENSION        = C.KVM_CHECK_EXTENSION
	KVM_GET_VCPU_MMAP_SIZE     = C.KVM_GET_VCPU_MMAP_SIZE
	KVM_CREATE_VCPU            = C.KVM_CREATE_VCPU
	KVM_SET_USER_MEMORY_REGION = C.KVM_SET_USER_MEMORY_REGION
	KVM_RUN                    = C.KVM_RUN
	KVM_GET_REGS               = C.KVM_GET_REGS
	KVM_SET_REGS               = C.KVM_SET_REGS
	KVM_GET_MP_STATE           = C.KVM_GET_MP_STATE
	KVM_SET_MP_STATE           = C.KVM_SET_MP_STATE
	KVM_SET_SIGNAL_MASK        = C.KVM_SET_SIGNAL_MASK
	KVM_ENABLE_CAP             = C.KVM_ENABLE_CAP
	KVM_GET_ONE_REG            = C.KVM_GET_ONE_REG
	KVM_SET_ONE_REG            = C.KVM_SET_ONE_REG
	KVM_CREATE_IRQCHIP         = C.KVM_CREATE_IRQCHIP
	KVM_IRQ_LINE               = C.KVM_IRQ_LINE
	KVM_SIGNAL_MSI             = C.KVM_SIGNAL_MSI
	KVM_SET_BOOT_CPU_ID        = C.KVM_SET_BOOT_CPU_ID
	KVM_INTERRUPT              = C.KVM_INTERRUPT
)

// The kernel's API version (KVM_GET_API_VERSION returns it).
const KVM_API_VERSION = C.KVM_API_VERSION

// Capabilities the suites ask for.
const (
	KVM_CAP_IRQCHIP            = C.KVM_CAP_IRQCHIP
	KVM_CAP_USER_MEMORY        = C.KVM_CAP_USER_MEMORY
	KVM_CAP_SET_BOOT_CPU_ID    = C.KVM_CAP_SET_BOOT_CPU_ID
	KVM_CAP_MP_STATE           = C.KVM_CAP_MP_STATE
	KVM_CAP_SIGNAL_MSI         = C.KVM_CAP_SIGNAL_MSI
	KVM_CAP_ONE_REG            = C.KVM_CAP_ONE_REG
	KVM_CAP_ENABLE_CAP         = C.KVM_CAP_ENABLE_CAP
	KVM_CAP_IMMEDIATE_EXIT     = C.KVM_CAP_IMMEDIATE_EXIT
	KVM_CAP_SYNC_REGS          = C.KVM_CAP_SYNC_REGS
	KVM_CAP_X86_USER_SPACE_MSR = C.KVM_CAP_X86_USER_SPACE_MSR
	KVM_CAP_EXIT_HYPERCALL     = C.KVM_CAP_EXIT_HYPERCALL
	KVM_CAP_X86_SMM            = C.KVM_CAP_X86_SMM
	KVM_CAP_SPLIT_IRQCHIP      = C.KVM_CAP_SPLIT_IRQCHIP
	KVM_CAP_X2APIC_API         = C.KVM_CAP_X2APIC_API
	KVM_CAP_ARM_PSCI_0_2       = C.KVM_CAP_ARM_PSCI_0_2
	KVM_CAP_ARM_NISV_TO_USER   = C.KVM_CAP_ARM_NISV_TO_USER
	KVM_CAP_ARM_SYSTEM_SUSPEND = C.KVM_CAP_ARM_SYSTEM_SUSPEND
	KVM_CAP_PPC_PAPR           = C.KVM_CAP_PPC_PAPR
	KVM_CAP_S390_USER_SIGP     = C.KVM_CAP_S390_USER_SIGP
	KVM_CAP_S390_VCPU_RESETS   = C.KVM_CAP_S390_VCPU_RESETS
	KVM_CAP_NR_VCPUS           = C.KVM_CAP_NR_VCPUS
	KVM_CAP_MAX_VCPUS          = C.KVM_CAP_MAX_VCPUS
	KVM_CAP_COALESCED_MMIO     = C.KVM_CAP_COALESCED_MMIO
)

// Exit reasons (kvm_run.exit_reason): every KVM_EXIT_* of <linux/kvm.h>,
// the other architectures' too, so that a reason names itself on every
// GOARCH. They are the same numbers everywhere.
const (
	KVM_EXIT_UNKNOWN         ExitReason = C.KVM_EXIT_UNKNOWN
	KVM_EXIT_EXCEPTION       ExitReason = C.KVM_EXIT_EXCEPTION
	KVM_EXIT_IO              ExitReason = C.KVM_EXIT_IO
	KVM_EXIT_HYPERCALL       ExitReason = C.KVM_EXIT_HYPERCALL
	KVM_EXIT_DEBUG           ExitReason = C.KVM_EXIT_DEBUG
	KVM_EXIT_HLT             ExitReason = C.KVM_EXIT_HLT
	KVM_EXIT_MMIO            ExitReason = C.KVM_EXIT_MMIO
	KVM_EXIT_IRQ_WINDOW_OPEN ExitReason = C.KVM_EXIT_IRQ_WINDOW_OPEN
	KVM_EXIT_SHUTDOWN        ExitReason = C.KVM_EXIT_SHUTDOWN
	KVM_EXIT_FAIL_ENTRY      ExitReason = C.KVM_EXIT_FAIL_ENTRY
	KVM_EXIT_INTR            ExitReason = C.KVM_EXIT_INTR
	KVM_EXIT_SET_TPR         ExitReason = C.KVM_EXIT_SET_TPR
	KVM_EXIT_TPR_ACCESS      ExitReason = C.KVM_EXIT_TPR_ACCESS
	KVM_EXIT_S390_SIEIC      ExitReason = C.KVM_EXIT_S390_SIEIC
	KVM_EXIT_S390_RESET      ExitReason = C.KVM_EXIT_S390_RESET
	KVM_EXIT_DCR             ExitReason = C.KVM_EXIT_DCR
	KVM_EXIT_NMI             ExitReason = C.KVM_EXIT_NMI
	KVM_EXIT_INTERNAL_ERROR  ExitReason = C.KVM_EXIT_INTERNAL_ERROR
	KVM_EXIT_OSI             ExitReason = C.KVM_EXIT_OSI
	KVM_EXIT_PAPR_HCALL      ExitReason = C.KVM_EXIT_PAPR_HCALL
	KVM_EXIT_S390_UCONTROL   ExitReason = C.KVM_EXIT_S390_UCONTROL
	KVM_EXIT_WATCHDOG        ExitReason = C.KVM_EXIT_WATCHDOG
	KVM_EXIT_S390_TSCH       ExitReason = C.KVM_EXIT_S390_TSCH
	KVM_EXIT_EPR             ExitReason = C.KVM_EXIT_EPR
	KVM_EXIT_SYSTEM_EVENT    ExitReason = C.KVM_EXIT_SYSTEM_EVENT
	KVM_EXIT_S390_STSI       ExitReason = C.KVM_EXIT_S390_STSI
	KVM_EXIT_IOAPIC_EOI      ExitReason = C.KVM_EXIT_IOAPIC_EOI
	KVM_EXIT_HYPERV          ExitReason = C.KVM_EXIT_HYPERV
	KVM_EXIT_ARM_NISV        ExitReason = C.KVM_EXIT_ARM_NISV
	KVM_EXIT_X86_RDMSR       ExitReason = C.KVM_EXIT_X86_RDMSR
	KVM_EXIT_X86_WRMSR       ExitReason = C.KVM_EXIT_X86_WRMSR
	KVM_EXIT_DIRTY_RING_FULL ExitReason = C.KVM_EXIT_DIRTY_RING_FULL
	KVM_EXIT_AP_RESET_HOLD   ExitReason = C.KVM_EXIT_AP_RESET_HOLD
	KVM_EXIT_X86_BUS_LOCK    ExitReason = C.KVM_EXIT_X86_BUS_LOCK
	KVM_EXIT_XEN             ExitReason = C.KVM_EXIT_XEN
	KVM_EXIT_RISCV_SBI       ExitReason = C.KVM_EXIT_RISCV_SBI
	KVM_EXIT_RISCV_CSR       ExitReason = C.KVM_EXIT_RISCV_CSR
	KVM_EXIT_NOTIFY          ExitReason = C.KVM_EXIT_NOTIFY
	KVM_EXIT_LOONGARCH_IOCSR ExitReason = C.KVM_EXIT_LOONGARCH_IOCSR
	KVM_EXIT_MEMORY_FAULT    ExitReason = C.KVM_EXIT_MEMORY_FAULT
)

// KVM_EXIT_IO directions and KVM_EXIT_SYSTEM_EVENT types.
const (
	KVM_EXIT_IO_IN              = C.KVM_EXIT_IO_IN
	KVM_EXIT_IO_OUT             = C.KVM_EXIT_IO_OUT
	KVM_SYSTEM_EVENT_SHUTDOWN   = C.KVM_SYSTEM_EVENT_SHUTDOWN
	KVM_SYSTEM_EVENT_RESET      = C.KVM_SYSTEM_EVENT_RESET
	KVM_SYSTEM_EVENT_CRASH      = C.KVM_SYSTEM_EVENT_CRASH
	KVM_SYSTEM_EVENT_WAKEUP     = C.KVM_SYSTEM_EVENT_WAKEUP
	KVM_SYSTEM_EVENT_SUSPEND    = C.KVM_SYSTEM_EVENT_SUSPEND
	KVM_MSR_EXIT_REASON_INVAL   = C.KVM_MSR_EXIT_REASON_INVAL
	KVM_MSR_EXIT_REASON_UNKNOWN = C.KVM_MSR_EXIT_REASON_UNKNOWN
	KVM_MSR_EXIT_REASON_FILTER  = C.KVM_MSR_EXIT_REASON_FILTER
	KVM_MEM_LOG_DIRTY_PAGES     = C.KVM_MEM_LOG_DIRTY_PAGES
	KVM_MEM_READONLY            = C.KVM_MEM_READONLY
)

// mp_state values (struct kvm_mp_state): every KVM_MP_STATE_* of
// <linux/kvm.h>, whichever architectures use them. They are the same
// numbers everywhere.
const (
	KVM_MP_STATE_RUNNABLE      MPState = C.KVM_MP_STATE_RUNNABLE
	KVM_MP_STATE_UNINITIALIZED MPState = C.KVM_MP_STATE_UNINITIALIZED
	KVM_MP_STATE_INIT_RECEIVED MPState = C.KVM_MP_STATE_INIT_RECEIVED
	KVM_MP_STATE_HALTED        MPState = C.KVM_MP_STATE_HALTED
	KVM_MP_STATE_SIPI_RECEIVED MPState = C.KVM_MP_STATE_SIPI_RECEIVED
	KVM_MP_STATE_STOPPED       MPState = C.KVM_MP_STATE_STOPPED
	KVM_MP_STATE_CHECK_STOP    MPState = C.KVM_MP_STATE_CHECK_STOP
	KVM_MP_STATE_OPERATING     MPState = C.KVM_MP_STATE_OPERATING
	KVM_MP_STATE_LOAD          MPState = C.KVM_MP_STATE_LOAD
	KVM_MP_STATE_AP_RESET_HOLD MPState = C.KVM_MP_STATE_AP_RESET_HOLD
	KVM_MP_STATE_SUSPENDED     MPState = C.KVM_MP_STATE_SUSPENDED
)

// ONE_REG id encoding shared by every architecture.
const (
	KVM_REG_SIZE_SHIFT = C.KVM_REG_SIZE_SHIFT
	KVM_REG_SIZE_MASK  = C.KVM_REG_SIZE_MASK
	KVM_REG_SIZE_U8    = C.KVM_REG_SIZE_U8
	KVM_REG_SIZE_U16   = C.KVM_REG_SIZE_U16
	KVM_REG_SIZE_U32   = C.KVM_REG_SIZE_U32
	KVM_REG_SIZE_U64   = C.KVM_REG_SIZE_U64
	KVM_REG_ARCH_MASK  = C.KVM_REG_ARCH_MASK
)

// kvm_run layout: offsets of every field the suites read or write. The exit
// union sits 16 bytes later on s390x (psw_mask and psw_addr come first).
const (
	OffRunRequestInterruptWindow     = C.off_run_request_interrupt_window
	OffRunImmediateExit              = C.off_run_immediate_exit
	OffRunExitReason                 = C.off_run_exit_reason
	OffRunReadyForInterruptInjection = C.off_run_ready_for_interrupt_injection
	OffRunIfFlag                     = C.off_run_if_flag
	OffRunFlags                      = C.off_run_flags
	OffRunCR8                        = C.off_run_cr8
	OffRunApicBase                   = C.off_run_apic_base
	OffRunExitUnion                  = C.off_run_exit_union
	OffRunIODirection                = C.off_run_io_direction
	OffRunIOSize                     = C.off_run_io_size
	OffRunIOPort                     = C.off_run_io_port
	OffRunIOCount                    = C.off_run_io_count
	OffRunIODataOffset               = C.off_run_io_data_offset
	OffRunMMIOPhysAddr               = C.off_run_mmio_phys_addr
	OffRunMMIOData                   = C.off_run_mmio_data
	OffRunMMIOLen                    = C.off_run_mmio_len
	OffRunMMIOIsWrite                = C.off_run_mmio_is_write
	OffRunHypercallNr                = C.off_run_hypercall_nr
	OffRunHypercallArgs              = C.off_run_hypercall_args
	OffRunHypercallRet               = C.off_run_hypercall_ret
	OffRunHypercallFlags             = C.off_run_hypercall_flags
	OffRunMSRError                   = C.off_run_msr_error
	OffRunMSRReason                  = C.off_run_msr_reason
	OffRunMSRIndex                   = C.off_run_msr_index
	OffRunMSRData                    = C.off_run_msr_data
	OffRunSystemEventType            = C.off_run_system_event_type
	OffRunSystemEventNdata           = C.off_run_system_event_ndata
	OffRunSystemEventData            = C.off_run_system_event_data
	OffRunPaprHcallNr                = C.off_run_papr_hcall_nr
	OffRunPaprHcallRet               = C.off_run_papr_hcall_ret
	OffRunPaprHcallArgs              = C.off_run_papr_hcall_args
	OffRunRiscvSbiExtensionID        = C.off_run_riscv_sbi_extension_id
	OffRunRiscvSbiFunctionID         = C.off_run_riscv_sbi_function_id
	OffRunRiscvSbiArgs               = C.off_run_riscv_sbi_args
	OffRunRiscvSbiRet                = C.off_run_riscv_sbi_ret
	OffRunS390SieicIcptcode          = C.off_run_s390_sieic_icptcode
	OffRunS390SieicIpa               = C.off_run_s390_sieic_ipa
	OffRunS390SieicIpb               = C.off_run_s390_sieic_ipb
	OffRunArmNisvEsrIss              = C.off_run_arm_nisv_esr_iss
	OffRunArmNisvFaultIpa            = C.off_run_arm_nisv_fault_ipa
	OffRunInternalSuberror           = C.off_run_internal_suberror
	OffRunFailEntryReason            = C.off_run_fail_entry_reason
	OffRunKvmValidRegs               = C.off_run_kvm_valid_regs
	OffRunKvmDirtyRegs               = C.off_run_kvm_dirty_regs
	OffRunSyncRegs                   = C.off_run_sync_regs
	SizeofRun                        = C.size_of_run
	SizeofRegs                       = C.size_of_kvm_regs
	SizeofSignalMaskHeader           = C.size_of_kvm_signal_mask
)

// Structs passed to the generic ioctls.
type (
	UserspaceMemoryRegion C.struct_kvm_userspace_memory_region
	MPStateArg            C.struct_kvm_mp_state
	EnableCap             C.struct_kvm_enable_cap
	OneReg                C.struct_kvm_one_reg
	MSI                   C.struct_kvm_msi
	IRQLevel              C.struct_kvm_irq_level
)
