//go:build linux && (ppc64 || ppc64le)

package ppc64

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
)

var _ arch.Arch = Arch{}

// Name implements arch.Arch.
func (Arch) Name() string { return "ppc64" }

// PrepareVM implements arch.Arch: nothing; a radix host gives the VM a radix
// MMU that is ready to run real-mode code.
func (Arch) PrepareVM(*kvm.VM) error { return nil }

// InitVCPU implements arch.Arch: KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR) on the
// vCPU. kvm-hv only runs PAPR vCPUs; without it KVM_RUN fails with EINVAL.
func (Arch) InitVCPU(v *kvm.VCPU, _ arch.InitOptions) error {
	if r := v.EnableCap(uapi.KVM_CAP_PPC_PAPR); !r.OK() {
		return r.Wrap("KVM_ENABLE_CAP KVM_CAP_PPC_PAPR")
	}
	return nil
}

// SetEntry implements arch.Arch: pc = entry, msr =
// EntryMSR(GuestLittleEndian) = 0x8000000000001003, on ppc64 and ppc64le
// hosts alike.
func (Arch) SetEntry(v *kvm.VCPU, entry uint64) error {
	r, err := GetRegs(v)
	if err != nil {
		return err
	}
	r.Pc = entry
	r.Msr = EntryMSR(GuestLittleEndian)
	return SetRegs(v, r)
}

// GetRegs is KVM_GET_REGS.
func GetRegs(v *kvm.VCPU) (*Regs, error) { return kvm.GetRegs[Regs](v) }

// SetRegs is KVM_SET_REGS.
func SetRegs(v *kvm.VCPU, r *Regs) error { return kvm.SetRegs(v, r) }

// field returns a pointer to register reg inside r.
func field(r *Regs, g reg) *uint64 {
	switch g {
	case regPC:
		return &r.Pc
	case regMSR:
		return &r.Msr
	case regLR:
		return &r.Lr
	case regCTR:
		return &r.Ctr
	case regCR:
		return &r.Cr
	case regXER:
		return &r.Xer
	case regSRR0:
		return &r.Srr0
	case regSRR1:
		return &r.Srr1
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
