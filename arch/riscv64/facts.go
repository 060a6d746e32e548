package riscv64

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// Arch is the riscv64 architecture. Its facts methods (this file) are pure
// and exist on every GOARCH; it implements arch.Arch in riscv64 builds
// (riscv64.go).
type Arch struct{}

var _ arch.Facts = Arch{}

// Completions implements arch.Facts (kernel-semantics.md §2.6, §3, CMP-10):
// MMIO, SBI and CSR exits are completed by the next KVM_RUN, each once
// (return_handled / insn_len guards), each advancing sepc past the
// instruction (2 bytes for a compressed load or store).
func (Arch) Completions() arch.CompletionFacts {
	const insn = "arch/riscv/kvm/vcpu_insn.c"
	const before = "arch/riscv/kvm/vcpu_exit.c before 6.0 (hedge)"
	// CMP-14: every completion adds the instruction length to the sepc it
	// finds (the PC userspace set with KVM_SET_ONE_REG, vcpu_onereg.c:
	// cntx->sepc) and writes rd (SET_RD on the instruction saved at
	// decode) or a0/a1 over what userspace put there; verified in the 6.1,
	// 6.12 and 6.19 sources.
	applied := func(file, fn, since string) arch.Source {
		return arch.Source{File: file, Function: fn, Since: since, Note: "sepc += the instruction length from the sepc userspace set; verified in 6.1, 6.12 and 6.19"}
	}
	return arch.CompletionFacts{Exits: []arch.Completion{
		// arch/riscv/kvm/vcpu_insn.c kvm_riscv_vcpu_mmio_return, Linux 5.16.
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead,
			Spec:      "CMP-10",
			Effect:    "rd = mmio.data (sign- or zero-extended by the load)",
			PCAdvance: 4, OnceOnly: true,
			Source:     arch.Source{File: insn, Function: "kvm_riscv_vcpu_mmio_return", Since: "5.16", Note: before},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: applied(insn, "kvm_riscv_vcpu_mmio_return", "5.16"),
		},
		// arch/riscv/kvm/vcpu_insn.c kvm_riscv_vcpu_mmio_return, Linux 5.16.
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessWrite,
			Effect:    "none (the data was in the exit)",
			PCAdvance: 4, OnceOnly: true,
			Source:     arch.Source{File: insn, Function: "kvm_riscv_vcpu_mmio_return", Since: "5.16", Note: before},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegNone,
			PCChangeSource: applied(insn, "kvm_riscv_vcpu_mmio_return", "5.16"),
		},
		// arch/riscv/kvm/vcpu_sbi.c kvm_riscv_vcpu_sbi_return, Linux 5.16.
		{
			ExitReason: uapi.KVM_EXIT_RISCV_SBI, Access: arch.AccessNone,
			Spec:      "CMP-10",
			Effect:    "a0 = riscv_sbi.ret[0], a1 = riscv_sbi.ret[1]",
			PCAdvance: 4, OnceOnly: true,
			Source:     arch.Source{File: "arch/riscv/kvm/vcpu_sbi.c", Function: "kvm_riscv_vcpu_sbi_return", Since: "5.16"},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: applied("arch/riscv/kvm/vcpu_sbi.c", "kvm_riscv_vcpu_sbi_return", "5.16"),
		},
		// arch/riscv/kvm/vcpu_insn.c kvm_riscv_vcpu_csr_return, Linux 6.0.
		{
			ExitReason: uapi.KVM_EXIT_RISCV_CSR, Access: arch.AccessNone,
			Effect:    "rd = riscv_csr.ret_value (unless rd is x0)",
			PCAdvance: 4, OnceOnly: true,
			Source:     arch.Source{File: insn, Function: "kvm_riscv_vcpu_csr_return", Since: "6.0", Note: "hedge on the version"},
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: insn, Function: "kvm_riscv_vcpu_csr_return", Since: "6.0",
				Note: "hedge on the version; sepc += INSN_LEN from the sepc userspace set, rd written unless x0; verified in 6.1 and 6.19"},
		},
	}}
}

// RegsIoctl implements arch.Facts: KVM_GET/SET_REGS return EINVAL
// (arch/riscv/kvm/vcpu.c kvm_arch_vcpu_ioctl_get_regs, Linux 5.16).
func (Arch) RegsIoctl() arch.RegsFacts {
	return arch.RegsFacts{Supported: false, Errno: unix.EINVAL,
		Source: arch.Source{File: "arch/riscv/kvm/vcpu.c", Function: "kvm_arch_vcpu_ioctl_get_regs", Since: "5.16"}}
}

// MPState implements arch.Facts (kernel-semantics.md §4.4, MP-R1). The
// second and later vCPUs (by creation order, vcpu_idx, not vcpu id) start
// STOPPED for SBI HSM to start them.
func (Arch) MPState() arch.MPStateFacts {
	const file = "arch/riscv/kvm/vcpu.c"
	return arch.MPStateFacts{
		Supported: true,
		// vcpu.c kvm_arch_vcpu_postcreate: vcpu_idx != 0 powered off, Linux 5.16.
		InitialFirst:  uapi.KVM_MP_STATE_RUNNABLE,
		InitialSecond: uapi.KVM_MP_STATE_STOPPED,
		Set: []arch.MPStateRule{
			// vcpu.c kvm_arch_vcpu_ioctl_set_mpstate, Linux 5.16.
			{State: uapi.KVM_MP_STATE_RUNNABLE, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "5.16"}},
			// vcpu.c kvm_arch_vcpu_ioctl_set_mpstate, Linux 5.16.
			{State: uapi.KVM_MP_STATE_STOPPED, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "5.16"}},
			// vcpu.c kvm_arch_vcpu_ioctl_set_mpstate (resets the vCPU), Linux 6.16.
			{State: uapi.KVM_MP_STATE_INIT_RECEIVED, Requires: "KVM_CAP_RISCV_MP_STATE_RESET (242) enabled on the VM",
				Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "6.16"}},
		},
		RejectErrno: unix.EINVAL,
		Source:      arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate, kvm_arch_vcpu_postcreate", Since: "5.16"},
	}
}

// Signals implements arch.Facts: the run loop checks for signals before
// every guest entry (arch/riscv/kvm/vcpu.c kvm_arch_vcpu_ioctl_run, Linux
// 5.16).
func (Arch) Signals() arch.SignalFacts {
	return arch.SignalFacts{SeenBeforeGuest: true,
		Source: arch.Source{File: "arch/riscv/kvm/vcpu.c", Function: "kvm_arch_vcpu_ioctl_run", Since: "5.16"}}
}

// VCPUMmap implements arch.Facts: kvm_run's page alone.
func (Arch) VCPUMmap() arch.MmapFacts { return arch.RunPageOnly() }
