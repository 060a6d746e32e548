package arm64

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// Arch is the arm64 architecture. Its facts methods (this file) are pure and
// exist on every GOARCH, so tools on any host can render them; it implements
// arch.Arch in arm64 builds (arm64.go).
type Arch struct{}

var _ arch.Facts = Arch{}

// Completions implements arch.Facts (kernel-semantics.md §2.2, §3): MMIO
// reads and writes are both completed by the next KVM_RUN, which writes Rt
// for a read and advances the PC by 4 for both.
func (Arch) Completions() arch.CompletionFacts {
	// CMP-14: kvm_handle_mmio_return writes Rt (vcpu_set_reg, the register
	// decoded from the syndrome) and only sets INCREMENT_PC (kvm_incr_pc);
	// __kvm_adjust_pc applies it (kvm_skip_instr: PC += 4) to whatever PC
	// the vCPU has then, before KVM_RUN returns (arm.c, out:). Nothing is
	// pending while userspace holds the vCPU after the exit, so a PC set
	// with KVM_SET_ONE_REG (guest.c set_core_reg, a plain write) is the
	// one that gets advanced.
	pcChange := func(what string) arch.Source {
		return arch.Source{File: "arch/arm64/kvm/mmio.c", Function: "kvm_handle_mmio_return, hyp/exception.c __kvm_adjust_pc", Since: "5.4",
			Note: what + "PC += 4 from the PC userspace set; in 5.4 (virt/kvm/arm/mmio.c) kvm_skip_instr moved it directly, INCREMENT_PC since 5.11, committed before an immediate exit returns since 5.13 (e3e880bb1518); verified in the 5.4, 6.1, 6.12 and 6.19 sources, the oldest checked"}
	}
	return arch.CompletionFacts{Exits: []arch.Completion{
		// arch/arm64/kvm/mmio.c kvm_handle_mmio_return, Linux 4.11.
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead,
			Spec:      "CMP-8",
			Effect:    "Rt = mmio.data (len bytes, sign-extended for a signed load, 32 bits for a W register)",
			PCAdvance: 4, OnceOnly: true,
			Source: arch.Source{File: "arch/arm64/kvm/mmio.c", Function: "kvm_handle_mmio_return", Since: "4.11",
				Note: "PC visible after an immediate exit since 5.13 (e3e880bb1518); 5.11–5.12 leave it pending"},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: pcChange("Rt written unconditionally; "),
		},
		// arch/arm64/kvm/mmio.c kvm_handle_mmio_return (kvm_incr_pc for writes too), Linux 4.11.
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessWrite,
			Spec:      "CMP-9",
			Effect:    "none (the data was in the exit)",
			PCAdvance: 4, OnceOnly: true,
			Source: arch.Source{File: "arch/arm64/kvm/mmio.c", Function: "kvm_handle_mmio_return", Since: "4.11",
				Note: "PC visible after an immediate exit since 5.13 (e3e880bb1518); 5.11–5.12 leave it pending"},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegNone,
			PCChangeSource: pcChange(""),
		},
	}}
}

// RegsIoctl implements arch.Facts: KVM_GET/SET_REGS return EINVAL; the
// registers are reached with ONE_REG (arch/arm64/kvm/guest.c
// kvm_arch_vcpu_ioctl_get_regs, since arm64 KVM, Linux 3.11).
func (Arch) RegsIoctl() arch.RegsFacts {
	return arch.RegsFacts{Supported: false, Errno: unix.EINVAL,
		Source: arch.Source{File: "arch/arm64/kvm/guest.c", Function: "kvm_arch_vcpu_ioctl_get_regs", Since: "3.11"}}
}

// MPState implements arch.Facts (kernel-semantics.md §4.2, MP-A1, MP-A2).
func (Arch) MPState() arch.MPStateFacts {
	const file = "arch/arm64/kvm/arm.c"
	return arch.MPStateFacts{
		Supported: true,
		// arm.c kvm_arch_vcpu_ioctl_vcpu_init: RUNNABLE unless POWER_OFF, Linux 4.0.
		InitialFirst:      uapi.KVM_MP_STATE_RUNNABLE,
		InitialSecond:     uapi.KVM_MP_STATE_RUNNABLE,
		PowerOffAtInit:    true,
		InitialPoweredOff: uapi.KVM_MP_STATE_STOPPED,
		Set: []arch.MPStateRule{
			// arm.c kvm_arch_vcpu_ioctl_set_mpstate, Linux 4.0.
			{State: uapi.KVM_MP_STATE_RUNNABLE, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "4.0", Note: "hedge on the version"}},
			// arm.c kvm_arch_vcpu_ioctl_set_mpstate (__kvm_arm_vcpu_power_off), Linux 4.0.
			{State: uapi.KVM_MP_STATE_STOPPED, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "4.0", Note: "hedge on the version"}},
			// arm.c kvm_arch_vcpu_ioctl_set_mpstate (kvm_arm_vcpu_suspend), Linux 5.19.
			{State: uapi.KVM_MP_STATE_SUSPENDED, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "5.19", Note: "EINVAL before 5.19"}},
		},
		RejectErrno: unix.EINVAL,
		Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate", Since: "4.0",
			Note: "virt/kvm/arm/arm.c and arch/arm/kvm/arm.c before 5.7; hedge on the version"},
	}
}

// Signals implements arch.Facts: the run loop checks for signals before
// every guest entry (arch/arm64/kvm/arm.c kvm_arch_vcpu_ioctl_run, since
// arm64 KVM, Linux 3.11).
func (Arch) Signals() arch.SignalFacts {
	return arch.SignalFacts{SeenBeforeGuest: true,
		Source: arch.Source{File: "arch/arm64/kvm/arm.c", Function: "kvm_arch_vcpu_ioctl_run", Since: "3.11"}}
}

// VCPUMmap implements arch.Facts: kvm_run's page alone.
func (Arch) VCPUMmap() arch.MmapFacts { return arch.RunPageOnly() }
