// Package kvm is the architecture-neutral userspace API of /dev/kvm that the
// conformance suites drive: the system fd (System), a VM with anonymous
// memory slots (VM, Memory), vCPUs whose KVM_RUN runs on a dedicated locked OS
// thread (VCPU), a typed view of the mmap'd struct kvm_run (Run), kernel
// signal masks (Sigset) and kicks.
//
// Every call keeps what the kernel returned: a Result holds the raw return
// value and the errno, so a spec can tell EINVAL from ENOTTY from ENXIO and
// see a positive return (s390 KVM_GET_MP_STATE returns the state itself).
//
// Every KVM_RUN is bounded: VCPU.RunBounded arms a watchdog that kicks the
// vCPU (immediate_exit = 1, then tgkill with KickSignal) when its deadline
// passes and reports that distinctly from an EINTR the caller asked for. A
// vCPU that does not come back even then is abandoned, not closed: its
// thread, fd, kvm_run mapping and its VM's memory and fd stay until the
// process exits (Abandoned lists them), so a late return out of KVM_RUN
// never touches freed memory. The harness's outcomes (deadline passed,
// stuck, a call not issued) are never dressed up as an errno:
// Result.Unanswered carries them.
//
// The ioctl numbers, struct layouts and kvm_run offsets come from
// internal/uapi, generated per GOARCH from the kernel headers; the per-arch
// register access lives in arch/<name>.
package kvm
