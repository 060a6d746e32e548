//go:build linux && s390x

package s390x

import (
	"fmt"
	"strings"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/kvm"
)

var _ arch.Arch = Arch{}

// Name implements arch.Arch.
func (Arch) Name() string { return "s390x" }

// PrepareVM implements arch.Arch: nothing (memory slots must be 1 MiB
// aligned, see the package doc).
func (Arch) PrepareVM(*kvm.VM) error { return nil }

// InitVCPU implements arch.Arch: nothing. The vCPU is STOPPED and KVM_RUN
// starts it as long as the VM has not switched to user CPU-state control.
func (Arch) InitVCPU(*kvm.VCPU, arch.InitOptions) error { return nil }

// SetEntry implements arch.Arch: psw_mask = EntryPSWMask (64-bit
// addressing), psw_addr = entry, in kvm_run; they take effect at the next
// KVM_RUN that enters the guest.
func (Arch) SetEntry(v *kvm.VCPU, entry uint64) error {
	run := v.Run()
	run.PutU64At(OffRunPSWMask, EntryPSWMask)
	run.PutU64At(OffRunPSWAddr, entry)
	return nil
}

// PSW reads kvm_run.psw_mask and psw_addr: the guest PSW as the last
// KVM_RUN left it (or as SetEntry/SetPC wrote it).
func PSW(v *kvm.VCPU) (mask, addr uint64) {
	run := v.Run()
	return run.U64At(OffRunPSWMask), run.U64At(OffRunPSWAddr)
}

// PC implements arch.Arch: kvm_run.psw_addr, valid after a KVM_RUN returned.
func (Arch) PC(v *kvm.VCPU) (uint64, error) {
	_, addr := PSW(v)
	return addr, nil
}

// SetPC implements arch.Arch: writes kvm_run.psw_addr, which the next
// KVM_RUN that enters the guest loads.
func (Arch) SetPC(v *kvm.VCPU, pc uint64) error {
	v.Run().PutU64At(OffRunPSWAddr, pc)
	return nil
}

// GetRegs is KVM_GET_REGS.
func GetRegs(v *kvm.VCPU) (*Regs, error) { return kvm.GetRegs[Regs](v) }

// SetRegs is KVM_SET_REGS.
func SetRegs(v *kvm.VCPU, r *Regs) error { return kvm.SetRegs(v, r) }

// Reg implements arch.Arch: r0..r15 with KVM_GET_REGS, the PSW halves from
// kvm_run.
func (Arch) Reg(v *kvm.VCPU, name string) (uint64, error) {
	g, err := lookupReg(name)
	if err != nil {
		return 0, err
	}
	switch g {
	case regPSWAddr:
		return v.Run().U64At(OffRunPSWAddr), nil
	case regPSWMask:
		return v.Run().U64At(OffRunPSWMask), nil
	}
	r, err := GetRegs(v)
	if err != nil {
		return 0, err
	}
	return r.Gprs[g], nil
}

// SetReg implements arch.Arch.
func (Arch) SetReg(v *kvm.VCPU, name string, val uint64) error {
	g, err := lookupReg(name)
	if err != nil {
		return err
	}
	switch g {
	case regPSWAddr:
		v.Run().PutU64At(OffRunPSWAddr, val)
		return nil
	case regPSWMask:
		v.Run().PutU64At(OffRunPSWMask, val)
		return nil
	}
	r, err := GetRegs(v)
	if err != nil {
		return err
	}
	r.Gprs[g] = val
	return SetRegs(v, r)
}

// Dump implements arch.Arch: the PSW from kvm_run and r0..r15.
func (Arch) Dump(v *kvm.VCPU) string {
	mask, addr := PSW(v)
	var b strings.Builder
	fmt.Fprintf(&b, "psw_mask=%#x psw_addr=%#x", mask, addr)
	r, err := GetRegs(v)
	if err != nil {
		fmt.Fprintf(&b, " (%v)", err)
		return b.String()
	}
	for n, val := range r.Gprs {
		fmt.Fprintf(&b, " %s=%#x", reg(n), val)
	}
	return b.String()
}
