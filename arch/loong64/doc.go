// Package loong64 is kvmconform's LoongArch (loongarch64) architecture: the
// generated LoongArch part of <asm/kvm.h> (zuapi_linux_loong64.go) and
// registers through KVM_GET/SET_REGS (struct kvm_regs: gpr[32], pc).
//
// LoongArch KVM appeared in Linux 6.7. A vCPU needs no initialisation; it
// starts in direct-address mode at PLV0, and SetEntry sets pc only. The
// kernel's page size is usually 16 KiB (kvm mmaps what the kernel reports).
// QEMU TCG does not run LoongArch KVM nested, so the specs run only
// natively.
//
// Register names: "r0".."r31" (also "$r0".."$r31"), the ABI names with or
// without "$" ("zero", "ra", "tp", "sp", "a0".."a7", "t0".."t8", "u0" for
// r21, "fp" or "s9", "s0".."s8"), and "pc". The facts (facts.go) are pure
// and exist on every GOARCH; the arch.Arch methods exist in loong64 builds.
package loong64
