//go:build linux && arm64

package arm64

import (
	"fmt"
	"unsafe"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/kvm"
)

var _ arch.Arch = Arch{}

// EntryPSTATE is the PSTATE SetEntry gives: EL1 with SP_EL1 (EL1h) and the
// D, A, I and F exceptions masked (0x3c5), the state KVM resets a vCPU to.
const EntryPSTATE = PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT | PSR_MODE_EL1h

// Name implements arch.Arch.
func (Arch) Name() string { return "arm64" }

// PrepareVM implements arch.Arch: arm64 VMs need nothing before memory and
// vCPUs.
func (Arch) PrepareVM(*kvm.VM) error { return nil }

// InitVCPU implements arch.Arch: KVM_ARM_PREFERRED_TARGET on the VM, then
// KVM_ARM_VCPU_INIT with PSCI 0.2 (and POWER_OFF when opts.PowerOff). Until
// this is done the first KVM_RUN fails with ENOEXEC.
func (Arch) InitVCPU(v *kvm.VCPU, opts arch.InitOptions) error {
	init, err := PreferredTarget(v.VM())
	if err != nil {
		return err
	}
	init.Features = Features(opts)
	if r := VCPUInitIoctl(v, &init); !r.OK() {
		return r.Wrap(fmt.Sprintf("KVM_ARM_VCPU_INIT target %d features %#x", init.Target, init.Features[0]))
	}
	return nil
}

// PreferredTarget is KVM_ARM_PREFERRED_TARGET on the VM fd: the target the
// host prefers, with no features set.
func PreferredTarget(vm *kvm.VM) (VCPUInit, error) {
	var init VCPUInit
	if r := vm.Ioctl(KVM_ARM_PREFERRED_TARGET, unsafe.Pointer(&init)); !r.OK() {
		return VCPUInit{}, r.Wrap("KVM_ARM_PREFERRED_TARGET")
	}
	return init, nil
}

// VCPUInitIoctl is KVM_ARM_VCPU_INIT; it returns the raw result so specs can
// check its errno.
func VCPUInitIoctl(v *kvm.VCPU, init *VCPUInit) kvm.Result {
	return v.Ioctl(KVM_ARM_VCPU_INIT, unsafe.Pointer(init))
}

// Features is the kvm_vcpu_init feature bitmap InitVCPU asks for: PSCI 0.2,
// plus POWER_OFF when opts.PowerOff.
func Features(opts arch.InitOptions) [7]uint32 {
	var f [7]uint32
	f[KVM_ARM_VCPU_PSCI_0_2/32] |= 1 << (KVM_ARM_VCPU_PSCI_0_2 % 32)
	if opts.PowerOff {
		f[KVM_ARM_VCPU_POWER_OFF/32] |= 1 << (KVM_ARM_VCPU_POWER_OFF % 32)
	}
	return f
}

// SetEntry implements arch.Arch: PC = entry, PSTATE = EntryPSTATE. The MMU
// is off after KVM_ARM_VCPU_INIT.
func (a Arch) SetEntry(v *kvm.VCPU, entry uint64) error {
	if err := a.SetPC(v, entry); err != nil {
		return err
	}
	return a.SetReg(v, "pstate", EntryPSTATE)
}

// RegID is the KVM_GET/SET_ONE_REG id of a core register name (x<n> is
// RegX0 + 2*n: the id counts 32-bit words of struct kvm_regs).
func RegID(name string) (uint64, error) {
	r, err := lookupReg(name)
	if err != nil {
		return 0, err
	}
	return r.id(), nil
}

func (r coreReg) id() uint64 {
	switch r.kind {
	case regSP:
		return RegSP
	case regPC:
		return RegPC
	case regPSTATE:
		return RegPSTATE
	}
	return RegX0 + 2*uint64(r.n)
}

func getReg(v *kvm.VCPU, r coreReg) (uint64, error) {
	val, res := v.GetOneReg(r.id())
	if !res.OK() {
		return 0, res.Wrap("KVM_GET_ONE_REG " + r.String())
	}
	return val, nil
}

func setReg(v *kvm.VCPU, r coreReg, val uint64) error {
	if res := v.SetOneReg(r.id(), val); !res.OK() {
		return res.Wrap(fmt.Sprintf("KVM_SET_ONE_REG %s=%#x", r, val))
	}
	return nil
}

// PC implements arch.Arch.
func (Arch) PC(v *kvm.VCPU) (uint64, error) { return getReg(v, coreReg{kind: regPC}) }

// SetPC implements arch.Arch.
func (Arch) SetPC(v *kvm.VCPU, pc uint64) error { return setReg(v, coreReg{kind: regPC}, pc) }

// registers is this architecture's register file (ONE_REG core ids).
func registers() arch.RegisterFile[coreReg] {
	return arch.RegisterFile[coreReg]{Lookup: lookupReg, Get: getReg, Set: setReg, Order: dumpOrder()}
}

// Reg implements arch.Arch; "w<n>" reads and writes the whole x<n>.
func (Arch) Reg(v *kvm.VCPU, name string) (uint64, error) { return registers().Reg(v, name) }

// SetReg implements arch.Arch.
func (Arch) SetReg(v *kvm.VCPU, name string, val uint64) error {
	return registers().SetReg(v, name, val)
}

// Dump implements arch.Arch.
func (Arch) Dump(v *kvm.VCPU) string { return registers().Dump(v) }
