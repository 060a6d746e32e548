// Package mips is kvmconform's 64-bit MIPS architecture (mips64 big-endian
// and mips64le, n64 ABI): the generated MIPS part of <asm/kvm.h>
// (zuapi_linux_mips64*.go) and registers through KVM_GET/SET_REGS
// (struct kvm_regs: gpr[32], hi, lo, pc).
//
// KVM on MIPS has been VZ-only since Linux 5.13 and needs Loongson
// 3A4000-class (VZ) hardware; QEMU TCG does not emulate VZ, so this package
// is built, vetted and unit-tested in CI but its specs run only natively.
// A vCPU needs no initialisation; SetEntry sets pc and leaves the rest of
// the reset state as KVM made it.
//
// MIPS differs from the other architectures in two ways the specs ask
// about: KVM_GET/SET_MP_STATE fail with ENOTTY, and a signal pending when
// KVM_RUN starts is only noticed after the guest's first exit. The kernel's
// sigset is 16 bytes (kvm handles that).
//
// Register names: "$0".."$31", the n64 ABI names with or without "$"
// ("zero", "at", "v0", "v1", "a0".."a7", "t0".."t3", "s0".."s7", "t8",
// "t9", "k0", "k1", "gp", "sp", "fp" or "s8", "ra"), "pc", "hi", "lo". The
// facts (facts.go) are pure and exist on every GOARCH; the arch.Arch methods
// exist in mips64 and mips64le builds.
package mips
