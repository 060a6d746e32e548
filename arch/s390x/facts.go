package s390x

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// Arch is the s390x architecture. Its facts methods (this file) are pure and
// exist on every GOARCH; it implements arch.Arch in s390x builds (s390x.go).
type Arch struct{}

var _ arch.Facts = Arch{}

// Completions implements arch.Facts: none. Every s390 exit to userspace
// (SIEIC intercepts, DIAG, RESET, UCONTROL, TSCH, STSI) is fully described
// when it reaches userspace, which applies the result itself; the
// immediate_exit check is the first thing KVM_RUN does
// (arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_ioctl_run, Linux 4.11;
// kernel-semantics.md §2.5).
func (Arch) Completions() arch.CompletionFacts { return arch.CompletionFacts{} }

// RegsIoctl implements arch.Facts: KVM_GET/SET_REGS work (gprs[16], 128
// bytes; arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_ioctl_get_regs, Linux
// 2.6.26).
func (Arch) RegsIoctl() arch.RegsFacts {
	return arch.RegsFacts{Supported: true,
		Source: arch.Source{File: "arch/s390/kvm/kvm-s390.c", Function: "kvm_arch_vcpu_ioctl_get_regs", Since: "2.6.26"}}
}

// MPState implements arch.Facts (kernel-semantics.md §4.3, MP-S1..MP-S3).
// KVM_GET_MP_STATE returns the state (5 STOPPED or 7 OPERATING) as the
// ioctl's value and leaves the struct unwritten; the first KVM_SET_MP_STATE
// switches the VM to user CPU-state control for good, after which KVM_RUN on
// a STOPPED vCPU fails with EINVAL.
func (Arch) MPState() arch.MPStateFacts {
	const file = "arch/s390/kvm/kvm-s390.c"
	return arch.MPStateFacts{
		Supported:       true,
		GetReturnsState: true,
		// kvm-s390.c kvm_arch_vcpu_create: CPUSTAT_STOPPED, Linux 3.19.
		InitialFirst:  uapi.KVM_MP_STATE_STOPPED,
		InitialSecond: uapi.KVM_MP_STATE_STOPPED,
		Set: []arch.MPStateRule{
			// kvm-s390.c kvm_arch_vcpu_ioctl_set_mpstate (kvm_s390_vcpu_stop), Linux 3.19.
			{State: uapi.KVM_MP_STATE_STOPPED, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "3.19", Note: "hedge on the version"}},
			// kvm-s390.c kvm_arch_vcpu_ioctl_set_mpstate (kvm_s390_vcpu_start), Linux 3.19.
			{State: uapi.KVM_MP_STATE_OPERATING, Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "3.19", Note: "hedge on the version"}},
			// kvm-s390.c kvm_arch_vcpu_ioctl_set_mpstate, protected virtualization, Linux 5.7.
			{State: uapi.KVM_MP_STATE_LOAD, Requires: "a protected (PV) VM",
				Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "5.7", Note: "hedge on the version"}},
		},
		RejectErrno: unix.ENXIO,
		Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate", Since: "3.19",
			Note: "GET returns 5/7 as the ioctl value, struct unwritten (still in 6.18); the first SET, even one that fails with ENXIO (verify), sets user_cpu_state_ctrl for the whole VM"},
	}
}

// Signals implements arch.Facts. Since 6.19 (2bd1337a1295, generic
// VIRT_XFER_TO_GUEST_WORK) the run loop checks for signals before entering
// SIE; before that __vcpu_run checked signal_pending only after each SIE
// exit, so the guest ran until its first exit.
func (Arch) Signals() arch.SignalFacts {
	return arch.SignalFacts{SeenBeforeGuest: true, OlderKernelsDiffer: true,
		Source: arch.Source{File: "arch/s390/kvm/kvm-s390.c", Function: "__vcpu_run", Since: "6.19",
			Note: "2bd1337a1295; before it the guest runs until its first SIE exit"}}
}

// VCPUMmap implements arch.Facts: kvm_run's page alone.
func (Arch) VCPUMmap() arch.MmapFacts { return arch.RunPageOnly() }
