package ppc64

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// Arch is the ppc64/ppc64le architecture. Its facts methods (this file) are
// pure and exist on every GOARCH; it implements arch.Arch in ppc64 and
// ppc64le builds (ppc64.go).
type Arch struct{}

var _ arch.Facts = Arch{}

// Completions implements arch.Facts (kernel-semantics.md §2.4, §3, CMP-12):
// the next KVM_RUN writes the loaded register, or the hcall's return
// registers; the PC had already moved past the instruction when the exit was
// made. Only the first pending completion is applied (mmio_needed, then
// hcall_needed).
func (Arch) Completions() arch.CompletionFacts {
	const file = "arch/powerpc/kvm/powerpc.c"
	return arch.CompletionFacts{Exits: []arch.Completion{
		// arch/powerpc/kvm/powerpc.c kvmppc_complete_mmio_load, Linux 4.11.
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead,
			Spec:         "CMP-12",
			Effect:       "rD = mmio.data (byte-swapped for a guest of the other endianness)",
			PCPastAtExit: true, PCAdvance: 0, OnceOnly: true,
			Source: arch.Source{File: file, Function: "kvmppc_complete_mmio_load", Since: "4.11",
				Note: "hedge: PC advanced at emulation (kvmppc_emulate_loadstore); a VSX/VMX multi-element load may return 0 with a new KVM_EXIT_MMIO"},
			OnPCChange: arch.PCKept, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: file, Function: "kvmppc_complete_mmio_load, emulate_loadstore.c kvmppc_emulate_loadstore", Since: "5.4",
				Note: "kvmppc_emulate_loadstore advances the PC before the exit (\"Advance past emulated instruction\"); the completion writes gpr[io_gpr] and leaves the PC; verified in the 5.4, 6.1 and 6.19 sources, the oldest checked"},
		},
		// arch/powerpc/kvm/powerpc.c kvm_arch_vcpu_ioctl_run (hcall_needed), Linux 4.11.
		{
			ExitReason: uapi.KVM_EXIT_PAPR_HCALL, Access: arch.AccessNone,
			Spec:         "CMP-12",
			Effect:       "r3 = papr_hcall.ret, r4..r12 = papr_hcall.args[0..8]",
			PCPastAtExit: true, PCAdvance: 0, OnceOnly: true,
			Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_run", Since: "4.11",
				Note: "sc 1 leaves the PC after the instruction; needs KVM_CAP_PPC_PAPR on the vCPU"},
			OnPCChange: arch.PCKept, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_run (hcall_needed)", Since: "5.4",
				Note: "r3 = ret and r4..r12 = args written unconditionally, the PC left where the sc interrupt (book3s_hv.c kvmppc_handle_exit_hv) or userspace put it; verified in the 5.4, 6.1 and 6.19 sources, the oldest checked"},
		},
	}}
}

// RegsIoctl implements arch.Facts: KVM_GET/SET_REGS work (struct kvm_regs,
// 392 bytes; arch/powerpc/kvm/book3s.c kvm_arch_vcpu_ioctl_get_regs,
// booke.c on BookE; Linux 2.6.26).
func (Arch) RegsIoctl() arch.RegsFacts {
	return arch.RegsFacts{Supported: true,
		Source: arch.Source{File: "arch/powerpc/kvm/book3s.c", Function: "kvm_arch_vcpu_ioctl_get_regs", Since: "2.6.26",
			Note: "arch/powerpc/kvm/booke.c on BookE"}}
}

// MPState implements arch.Facts (kernel-semantics.md §4.6, MP-P1): both
// ioctls fail with EINVAL and KVM_CAP_MP_STATE is 0; CPU bring-up in PAPR
// guests is H_START_CPU / RTAS, handled in userspace.
func (Arch) MPState() arch.MPStateFacts {
	return arch.MPStateFacts{
		Supported: false, UnsupportedErrno: unix.EINVAL, RejectErrno: unix.EINVAL,
		// arch/powerpc/kvm/powerpc.c kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate return -EINVAL, Linux 2.6.26.
		Source: arch.Source{File: "arch/powerpc/kvm/powerpc.c", Function: "kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate", Since: "2.6.26",
			Note: "hedge on the version: stubs since the generic ioctls appeared"},
	}
}

// Signals implements arch.Facts: Book3S HV checks for a pending signal
// before entry and again with interrupts hard-disabled right before it
// (arch/powerpc/kvm/book3s_hv.c kvmppc_vcpu_run_hv); PR and BookE check in
// kvmppc_prepare_to_enter.
func (Arch) Signals() arch.SignalFacts {
	return arch.SignalFacts{SeenBeforeGuest: true,
		Source: arch.Source{File: "arch/powerpc/kvm/book3s_hv.c", Function: "kvmppc_vcpu_run_hv", Since: "4.11",
			Note: "at least since 4.11, the suite's floor; PR/BookE: powerpc.c kvmppc_prepare_to_enter"}}
}

// VCPUMmap implements arch.Facts: kvm_run's page alone.
func (Arch) VCPUMmap() arch.MmapFacts { return arch.RunPageOnly() }
