// Package x86 is kvmconform's x86_64 architecture: the generated x86 part of
// <asm/kvm.h> (zuapi_linux_amd64.go), real-mode vCPU set-up, KVM_GET/SET_REGS
// and SREGS, vcpu events, MSRs and CPUID.
package x86
