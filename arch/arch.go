// Package arch defines what the arch-neutral specs ask of an architecture,
// and each subdirectory (x86, arm64, ppc64, s390x, mips, riscv64, loong64)
// answers it for one architecture family: the generated ABI of that
// architecture (zuapi_linux_<goarch>.go), vCPU set-up, register access and
// the per-architecture facts the specs need. arch/host picks the one for the
// GOARCH being built.
package arch

import "github.com/kvmconform/kvmconform/kvm"

// Arch is one architecture as the specs see it.
type Arch interface {
	// Name is the vocabulary name: "x86", "arm64", "ppc64", "s390x",
	// "mips", "riscv64", "loong64" (the label the specs carry).
	Name() string
	// PrepareVM does what this architecture needs right after
	// KVM_CREATE_VM, before memory and vCPUs (x86: KVM_SET_TSS_ADDR).
	PrepareVM(vm *kvm.VM) error
	// InitVCPU does what a fresh vCPU needs before it can run at all
	// (arm64: KVM_ARM_VCPU_INIT; ppc64: KVM_CAP_PPC_PAPR), without
	// changing its architectural state.
	InitVCPU(v *kvm.VCPU, opts InitOptions) error
	// SetEntry points the vCPU at a guest image's entry in the execution
	// mode the images of this architecture are written for.
	SetEntry(v *kvm.VCPU, entry uint64) error
	// PC reads the program counter (x86: RIP).
	PC(v *kvm.VCPU) (uint64, error)
	// SetPC writes the program counter.
	SetPC(v *kvm.VCPU, pc uint64) error
	// Reg reads a general register by its assembler name ("rax", "x1",
	// "a1", "r4", "$5", "r2"); SetReg writes one.
	Reg(v *kvm.VCPU, name string) (uint64, error)
	SetReg(v *kvm.VCPU, name string, val uint64) error
	// Dump renders the vCPU's registers for a failure message.
	Dump(v *kvm.VCPU) string
	// Facts says what the kernel does on this architecture: every
	// architecture answers it in full, and the specs ask it rather than
	// the architecture's name.
	Facts
}

// InitOptions are the choices InitVCPU offers.
type InitOptions struct {
	// PowerOff starts the vCPU powered off where the architecture has that
	// at init time (arm64 KVM_ARM_VCPU_POWER_OFF).
	PowerOff bool
}
