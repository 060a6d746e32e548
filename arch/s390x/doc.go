// Package s390x is kvmconform's z/Architecture (s390x) architecture: the
// generated s390 part of <asm/kvm.h> (zuapi_linux_s390x.go), general
// registers through KVM_GET/SET_REGS (struct kvm_regs is gprs[16]) and the
// PSW through kvm_run.
//
// The PSW is not in struct kvm_regs: KVM takes it from kvm_run.psw_mask and
// kvm_run.psw_addr on every KVM_RUN that enters the guest (sync_regs) and
// writes it back there when KVM_RUN returns (store_regs). So PC reads
// psw_addr from kvm_run and is meaningful after a KVM_RUN returned (or after
// SetEntry/SetPC wrote it); SetPC and SetEntry write kvm_run, and the value
// takes effect at the next KVM_RUN that enters the guest — an immediate exit
// (immediate_exit = 1) does not consume it (kernel-semantics.md IE-7).
// SetEntry gives the 64-bit addressing mode (EA|BA, psw_mask
// 0x0000000180000000): supervisor state, DAT off, all interruptions
// disabled.
//
// Memory: s390 KVM requires a memory slot's host address and size to be
// 1 MiB (segment) aligned (arch/s390/kvm/kvm-s390.c
// kvm_arch_prepare_memory_region returns EINVAL otherwise). Guest real
// addresses 0-8 KiB are the vCPU's lowcore (prefix 0).
//
// A vCPU is created STOPPED; until userspace calls KVM_SET_MP_STATE (which
// switches the whole VM to user CPU-state control), KVM_RUN starts it. s390
// completes no exits: userspace applies every exit's result itself.
//
// Register names: "r0".."r15", "pc" (also "psw_addr") and "psw_mask". The
// facts (facts.go) and PSW bits (psw.go) are pure and exist on every GOARCH;
// the arch.Arch methods exist in s390x builds.
package s390x
