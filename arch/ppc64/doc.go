// Package ppc64 is kvmconform's 64-bit POWER architecture (ppc64 big-endian
// and ppc64le): the generated powerpc part of <asm/kvm.h>
// (zuapi_linux_ppc64*.go), vCPU set-up for Book3S HV (kvm-hv, the flavour
// Debian kernels ship; kvm-pr is not built), and registers through
// KVM_GET/SET_REGS.
//
// InitVCPU enables KVM_CAP_PPC_PAPR on the vCPU: kvm-hv refuses to run a
// vCPU without it (KVM_RUN fails with EINVAL, exit_reason
// KVM_EXIT_INTERNAL_ERROR). SetEntry puts the vCPU at the entry in 64-bit
// real mode: MSR = SF|ME|RI|LE (0x8000000000001003) on ppc64 and ppc64le
// hosts alike, since the guest images are little-endian and a Book3S HV
// guest's byte order is its own; IR and DR are off, so the guest
// runs on real addresses (on a radix host no HPT or process table is
// needed).
//
// Register names: "r0".."r31", "pc", "msr", "lr", "ctr", "cr", "xer",
// "srr0", "srr1". The facts (facts.go) and MSR bits (msr.go) are pure and
// exist on every GOARCH; the arch.Arch methods exist in ppc64 and ppc64le
// builds.
package ppc64
