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
// Every KVM_RUN is bounded: VCPU.RunFor arms a watchdog that kicks the vCPU
// (immediate_exit = 1, then tgkill with KickSignal) when its deadline passes
// and reports that distinctly from an EINTR the caller asked for.
//
// The ioctl numbers, struct layouts and kvm_run offsets come from
// internal/uapi, generated per GOARCH from the kernel headers; the per-arch
// register access lives in arch/<name>.
package kvm
