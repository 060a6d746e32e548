package loong64

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// Arch is the loong64 architecture. Its facts methods (this file) are pure
// and exist on every GOARCH; it implements arch.Arch in loong64 builds
// (loong64.go).
type Arch struct{}

var _ arch.Facts = Arch{}

// Completions implements arch.Facts (kernel-semantics.md §2.7, §3, CMP-11).
// An MMIO read is completed once (mmio_needed). The IOCSR read and the user
// hypercall completions are chosen by the stale exit_reason and have no
// once-only guard: each KVM_RUN that returns before clearing exit_reason (an
// immediate exit) applies them again.
func (Arch) Completions() arch.CompletionFacts {
	const file = "arch/loongarch/kvm/exit.c"
	return arch.CompletionFacts{Exits: []arch.Completion{
		// arch/loongarch/kvm/exit.c kvm_complete_mmio_read (update_pc, then rd), Linux 6.7.
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead,
			Spec:      "CMP-11",
			Effect:    "rd = mmio.data (sign-extended, zero-extended for ld.bu/hu/wu)",
			PCAdvance: 4, OnceOnly: true,
			Source:     arch.Source{File: file, Function: "kvm_complete_mmio_read", Since: "6.7"},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: file, Function: "kvm_complete_mmio_read", Since: "6.7",
				Note: "update_pc (pc += 4) from the PC userspace set, then gprs[io_gpr]; verified in the 6.12, 6.16 and 6.19 sources"},
		},
		// arch/loongarch/kvm/exit.c kvm_complete_iocsr_read, Linux 6.7 (PC moved in kvm_trap_handle_gspr).
		{
			ExitReason: uapi.KVM_EXIT_LOONGARCH_IOCSR, Access: arch.AccessRead,
			Spec:         "CMP-11",
			Effect:       "rd = iocsr_io.data, sign-extended from len",
			PCPastAtExit: true, PCAdvance: 0, OnceOnly: false,
			Source: arch.Source{File: file, Function: "kvm_complete_iocsr_read", Since: "6.7",
				Note: "repeated by every KVM_RUN while exit_reason still reads LOONGARCH_IOCSR (verify)"},
			OnPCChange: arch.PCKept, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: file, Function: "kvm_complete_iocsr_read, kvm_trap_handle_gspr", Since: "6.7",
				Note: "the PC moved in kvm_trap_handle_gspr before the exit; the completion writes only gprs[io_gpr], again on every KVM_RUN with the stale exit_reason; verified in the 6.12, 6.16 and 6.19 sources"},
		},
		// arch/loongarch/kvm/exit.c kvm_complete_user_service (update_pc, a0), Linux 6.14.
		{
			ExitReason: uapi.KVM_EXIT_HYPERCALL, Access: arch.AccessNone,
			Effect:    "a0 = hypercall.ret",
			PCAdvance: 4, OnceOnly: false,
			Source: arch.Source{File: file, Function: "kvm_complete_user_service", Since: "6.14",
				Note: "hedge on the version; repeated, PC advance included, while exit_reason still reads HYPERCALL (verify)"},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: file, Function: "kvm_complete_user_service", Since: "6.14",
				Note: "hedge on the version (present in 6.16, absent in 6.12); update_pc (pc += 4) from the PC userspace set, then a0, again on every KVM_RUN with the stale exit_reason"},
		},
	}}
}

// RegsIoctl implements arch.Facts: KVM_GET/SET_REGS work (264 bytes;
// arch/loongarch/kvm/vcpu.c kvm_arch_vcpu_ioctl_get_regs, Linux 6.7).
func (Arch) RegsIoctl() arch.RegsFacts {
	return arch.RegsFacts{Supported: true,
		Source: arch.Source{File: "arch/loongarch/kvm/vcpu.c", Function: "kvm_arch_vcpu_ioctl_get_regs", Since: "6.7"}}
}

// MPState implements arch.Facts (kernel-semantics.md §4.5, MP-L1): GET
// returns the stored state, SET accepts RUNNABLE only.
func (Arch) MPState() arch.MPStateFacts {
	const file = "arch/loongarch/kvm/vcpu.c"
	return arch.MPStateFacts{
		Supported: true,
		// vcpu.c: mp_state starts RUNNABLE, Linux 6.7.
		InitialFirst:  uapi.KVM_MP_STATE_RUNNABLE,
		InitialSecond: uapi.KVM_MP_STATE_RUNNABLE,
		Set: []arch.MPStateRule{
			// vcpu.c kvm_arch_vcpu_ioctl_set_mpstate, Linux 6.7.
			{State: uapi.KVM_MP_STATE_RUNNABLE, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "6.7"}},
		},
		RejectErrno: unix.EINVAL,
		Source:      arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate", Since: "6.7"},
	}
}

// Signals implements arch.Facts: signals are checked before every guest
// entry (arch/loongarch/kvm/vcpu.c kvm_pre_enter_guest, Linux 6.7).
func (Arch) Signals() arch.SignalFacts {
	return arch.SignalFacts{SeenBeforeGuest: true,
		Source: arch.Source{File: "arch/loongarch/kvm/vcpu.c", Function: "kvm_pre_enter_guest", Since: "6.7"}}
}

// VCPUMmap implements arch.Facts: kvm_run's page alone.
func (Arch) VCPUMmap() arch.MmapFacts { return arch.RunPageOnly() }
