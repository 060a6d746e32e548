package mips

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// Arch is the mips64/mips64le architecture. Its facts methods (this file)
// are pure and exist on every GOARCH; it implements arch.Arch in mips64 and
// mips64le builds (mips.go).
type Arch struct{}

var _ arch.Facts = Arch{}

// Completions implements arch.Facts (kernel-semantics.md §2.3, §3, CMP-12):
// an MMIO load is completed by the next KVM_RUN, which writes rt and sets
// the PC to the resume PC computed at emulation (io_pc: the next
// instruction, or the branch target for a load in a delay slot). A store's
// PC moves before the exit, so it needs no completion.
func (Arch) Completions() arch.CompletionFacts {
	return arch.CompletionFacts{Exits: []arch.Completion{
		// arch/mips/kvm/emulate.c kvm_mips_complete_mmio_load, from mips.c kvm_arch_vcpu_ioctl_run, Linux 4.11.
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead,
			Spec:      "CMP-12",
			Effect:    "rt = mmio.data (sign- or zero-extended by the load; lwl/lwr-style loads merge)",
			PCAdvance: 4, OnceOnly: true,
			Source: arch.Source{File: "arch/mips/kvm/emulate.c", Function: "kvm_mips_complete_mmio_load", Since: "4.11",
				Note: "called from mips.c kvm_arch_vcpu_ioctl_run; 4.11 is when the immediate exit appeared"},
			OnPCChange: arch.PCOverwritten, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: "arch/mips/kvm/emulate.c", Function: "kvm_mips_complete_mmio_load", Since: "5.4",
				Note: "PC = io_pc, the resume PC kvm_mips_emulate_load saved at decode (\"Restore saved resume PC\"); gprs[io_gpr] written (lwl/lwr/ldl/ldr merge into its value then); verified in the 5.4, 6.1 and 6.19 sources, the oldest checked"},
		},
	}}
}

// RegsIoctl implements arch.Facts: KVM_GET/SET_REGS work (280 bytes;
// arch/mips/kvm/mips.c kvm_arch_vcpu_ioctl_get_regs, since MIPS KVM, Linux
// 3.10).
func (Arch) RegsIoctl() arch.RegsFacts {
	return arch.RegsFacts{Supported: true,
		Source: arch.Source{File: "arch/mips/kvm/mips.c", Function: "kvm_arch_vcpu_ioctl_get_regs", Since: "3.10"}}
}

// MPState implements arch.Facts (kernel-semantics.md §4.6, MP-M1): both
// ioctls fail with ENOTTY (the arch hook returns -ENOIOCTLCMD) and
// KVM_CAP_MP_STATE is 0; secondary CPUs are brought up by userspace.
func (Arch) MPState() arch.MPStateFacts {
	return arch.MPStateFacts{
		Supported: false, UnsupportedErrno: unix.ENOTTY, RejectErrno: unix.ENOTTY,
		// arch/mips/kvm/mips.c kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate return -ENOIOCTLCMD, Linux 3.10.
		Source: arch.Source{File: "arch/mips/kvm/mips.c", Function: "kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate", Since: "3.10"},
	}
}

// Signals implements arch.Facts: the signal check is in the exit handler,
// so a signal pending at entry is seen only after the guest's first exit
// (arch/mips/kvm/mips.c kvm_mips_handle_exit, Linux 3.10).
func (Arch) Signals() arch.SignalFacts {
	return arch.SignalFacts{SeenBeforeGuest: false,
		Source: arch.Source{File: "arch/mips/kvm/mips.c", Function: "kvm_mips_handle_exit", Since: "3.10",
			Note: "the guest runs until its next exit (timer, host interrupt, ...)"}}
}

// VCPUMmap implements arch.Facts: kvm_run's page alone.
func (Arch) VCPUMmap() arch.MmapFacts { return arch.RunPageOnly() }
