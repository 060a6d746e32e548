//go:build linux && riscv64

package riscv64

import (
	"errors"
	"fmt"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/kvm"
)

var _ arch.Arch = Arch{}

// errZero is returned for a write to x0 (or its id): it has no ONE_REG id.
var errZero = errors.New("riscv64 x0 (zero) is hardwired to zero and has no ONE_REG id")

// Name implements arch.Arch.
func (Arch) Name() string { return "riscv64" }

// PrepareVM implements arch.Arch: riscv VMs need nothing.
func (Arch) PrepareVM(*kvm.VM) error { return nil }

// InitVCPU implements arch.Arch: riscv vCPUs need nothing (there is no
// power-off option at creation: vCPUs after the first start STOPPED).
func (Arch) InitVCPU(*kvm.VCPU, arch.InitOptions) error { return nil }

// SetEntry implements arch.Arch: pc = entry; the vCPU already runs in
// VS-mode with paging off.
func (a Arch) SetEntry(v *kvm.VCPU, entry uint64) error { return a.SetPC(v, entry) }

// RegID is the KVM_GET/SET_ONE_REG id of a core register name: RegPC + the
// register's index in struct kvm_riscv_core (x<n> is RegPC + n).
func RegID(name string) (uint64, error) {
	r, err := lookupReg(name)
	if err != nil {
		return 0, err
	}
	if r.zero {
		return 0, errZero
	}
	return r.id(), nil
}

func (r coreReg) id() uint64 { return RegPC + r.index }

func getReg(v *kvm.VCPU, r coreReg) (uint64, error) {
	if r.zero {
		return 0, nil
	}
	val, res := v.GetOneReg(r.id())
	if !res.OK() {
		return 0, res.Wrap("KVM_GET_ONE_REG " + r.String())
	}
	return val, nil
}

func setReg(v *kvm.VCPU, r coreReg, val uint64) error {
	if r.zero {
		return errZero
	}
	if res := v.SetOneReg(r.id(), val); !res.OK() {
		return res.Wrap(fmt.Sprintf("KVM_SET_ONE_REG %s=%#x", r, val))
	}
	return nil
}

// PC implements arch.Arch (sepc as the guest sees it).
func (Arch) PC(v *kvm.VCPU) (uint64, error) { return getReg(v, coreReg{index: corePC}) }

// SetPC implements arch.Arch.
func (Arch) SetPC(v *kvm.VCPU, pc uint64) error { return setReg(v, coreReg{index: corePC}, pc) }

// registers is this architecture's register file (ONE_REG core ids).
func registers() arch.RegisterFile[coreReg] {
	return arch.RegisterFile[coreReg]{Lookup: lookupReg, Get: getReg, Set: setReg, Order: dumpOrder()}
}

// Reg implements arch.Arch; "zero"/"x0" reads 0 without an ioctl; writing it is an error.
func (Arch) Reg(v *kvm.VCPU, name string) (uint64, error) { return registers().Reg(v, name) }

// SetReg implements arch.Arch.
func (Arch) SetReg(v *kvm.VCPU, name string, val uint64) error {
	return registers().SetReg(v, name, val)
}

// Dump implements arch.Arch.
func (Arch) Dump(v *kvm.VCPU) string { return registers().Dump(v) }
