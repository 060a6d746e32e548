// Package arm64 is kvmconform's arm64 (AArch64) architecture: the generated
// arm64 part of <asm/kvm.h> (zuapi_linux_arm64.go), vCPU set-up with
// KVM_ARM_VCPU_INIT, and register access through KVM_GET/SET_ONE_REG, since
// KVM_GET/SET_REGS return EINVAL on arm64.
//
// InitVCPU asks the VM for its preferred target (KVM_ARM_PREFERRED_TARGET)
// and initialises the vCPU with PSCI 0.2 (and KVM_ARM_VCPU_POWER_OFF when
// asked). SetEntry puts the vCPU at the entry in EL1h with D, A, I and F
// masked (PSTATE 0x3c5) and the MMU off, which is the reset state: the
// guest images run on physical addresses.
//
// Register names are the assembler's: "x0".."x30" (also "w0".."w30", which
// read and write the whole x register, and "fp" = x29, "lr" = x30), "sp",
// "pc" and "pstate". The facts (facts.go) are pure and exist on every GOARCH;
// the arch.Arch methods exist in arm64 builds.
package arm64
