// Package riscv64 is kvmconform's RISC-V (RV64, H extension) architecture:
// the generated RISC-V part of <asm/kvm.h> (zuapi_linux_riscv64.go) and
// register access through KVM_GET/SET_ONE_REG core registers, since
// KVM_GET/SET_REGS return EINVAL on riscv (struct kvm_regs is empty).
//
// A vCPU needs no initialisation; it starts in VS-mode (supervisor) with
// a0 = its hart id, paging off. SetEntry sets pc only.
//
// Register names are the ABI names ("zero", "ra", "sp", "gp", "tp",
// "t0".."t6", "s0"/"fp", "s1".."s11", "a0".."a7"), "x0".."x31", "pc" and
// "mode" (the privilege mode KVM keeps in struct kvm_riscv_core). The core
// ONE_REG id of x<n> is RegPC + n: struct user_regs_struct keeps pc where x0
// would be. x0 has no id: it reads 0 and cannot be written. The facts
// (facts.go) are pure and exist on every GOARCH; the arch.Arch methods exist
// in riscv64 builds.
package riscv64
