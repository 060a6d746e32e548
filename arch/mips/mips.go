//go:build linux && (mips64 || mips64le)

package mips

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/kvm"
)

var _ arch.Arch = Arch{}

// Name implements arch.Arch.
func (Arch) Name() string { return "mips" }

// PrepareVM implements arch.Arch: nothing.
func (Arch) PrepareVM(*kvm.VM) error { return nil }

// InitVCPU implements arch.Arch: nothing.
func (Arch) InitVCPU(*kvm.VCPU, arch.InitOptions) error { return nil }

// SetEntry implements arch.Arch: pc = entry.
func (a Arch) SetEntry(v *kvm.VCPU, entry uint64) error { return a.SetPC(v, entry) }

// GetRegs is KVM_GET_REGS.
func GetRegs(v *kvm.VCPU) (*Regs, error) { return kvm.GetRegs[Regs](v) }

// SetRegs is KVM_SET_REGS. The kernel ignores gpr[0].
func SetRegs(v *kvm.VCPU, r *Regs) error { return kvm.SetRegs(v, r) }

// field returns a pointer to register g inside r.
func field(r *Regs, g reg) *uint64 {
	switch g {
	case regHI:
		return &r.Hi
	case regLO:
		return &r.Lo
	case regPC:
		return &r.Pc
	}
	return &r.Gpr[g]
}

// PC implements arch.Arch.
func (a Arch) PC(v *kvm.VCPU) (uint64, error) { return a.Reg(v, "pc") }

// SetPC implements arch.Arch.
func (a Arch) SetPC(v *kvm.VCPU, pc uint64) error { return a.SetReg(v, "pc", pc) }

// registers is this architecture's register file (struct kvm_regs).
func registers() arch.RegisterFile[reg] {
	return arch.StructRegisterFile(lookupReg, field, dumpOrder())
}

// Reg implements arch.Arch.
func (Arch) Reg(v *kvm.VCPU, name string) (uint64, error) { return registers().Reg(v, name) }

// SetReg implements arch.Arch (KVM_GET_REGS, change one, KVM_SET_REGS).
func (Arch) SetReg(v *kvm.VCPU, name string, val uint64) error {
	return registers().SetReg(v, name, val)
}

// Dump implements arch.Arch.
func (Arch) Dump(v *kvm.VCPU) string { return registers().Dump(v) }
