package kvm

import (
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// GetRegs is KVM_GET_REGS into T, the architecture's struct kvm_regs (the
// ioctl number encodes its size, so T must be the generated Regs of the
// GOARCH being built).
func GetRegs[T any](v *VCPU) (*T, error) {
	r := new(T)
	if res := v.Ioctl(uapi.KVM_GET_REGS, unsafe.Pointer(r)); !res.OK() {
		return nil, res.Wrap("KVM_GET_REGS")
	}
	return r, nil
}

// SetRegs is KVM_SET_REGS from T, the architecture's struct kvm_regs.
func SetRegs[T any](v *VCPU, r *T) error {
	return v.Ioctl(uapi.KVM_SET_REGS, unsafe.Pointer(r)).Wrap("KVM_SET_REGS")
}

// GetReg reads one field of struct kvm_regs (KVM_GET_REGS).
func GetReg[T any](v *VCPU, field func(*T) *uint64) (uint64, error) {
	r, err := GetRegs[T](v)
	if err != nil {
		return 0, err
	}
	return *field(r), nil
}

// SetReg changes one field of struct kvm_regs (KVM_GET_REGS, then
// KVM_SET_REGS with the rest unchanged).
func SetReg[T any](v *VCPU, field func(*T) *uint64, val uint64) error {
	r, err := GetRegs[T](v)
	if err != nil {
		return err
	}
	*field(r) = val
	return SetRegs(v, r)
}
