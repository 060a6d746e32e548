package arch

import (
	"fmt"
	"strings"

	"github.com/kvmconform/kvmconform/kvm"
)

// RegisterFile is how an architecture names and reaches its general
// registers. It gives Reg, SetReg and Dump (the arch.Arch methods) once for
// every architecture; the architecture supplies the name table and the
// access (KVM_GET/SET_REGS or ONE_REG).
type RegisterFile[G fmt.Stringer] struct {
	// Lookup resolves an assembler name ("x1", "a0", "r4", "$5", "pc").
	Lookup func(name string) (G, error)
	// Get and Set reach one register.
	Get func(v *kvm.VCPU, g G) (uint64, error)
	Set func(v *kvm.VCPU, g G, val uint64) error
	// Order is the registers Dump prints, in order.
	Order []G
}

// StructRegisterFile is the RegisterFile of an architecture whose
// registers are fields of its struct kvm_regs R: each Get is a
// KVM_GET_REGS, each Set a KVM_GET_REGS and KVM_SET_REGS with the other
// fields unchanged.
func StructRegisterFile[R any, G fmt.Stringer](lookup func(string) (G, error), field func(*R, G) *uint64, order []G) RegisterFile[G] {
	return RegisterFile[G]{
		Lookup: lookup,
		Get: func(v *kvm.VCPU, g G) (uint64, error) {
			return kvm.GetReg(v, func(r *R) *uint64 { return field(r, g) })
		},
		Set: func(v *kvm.VCPU, g G, val uint64) error {
			return kvm.SetReg(v, func(r *R) *uint64 { return field(r, g) }, val)
		},
		Order: order,
	}
}

// Reg reads the register called name.
func (f RegisterFile[G]) Reg(v *kvm.VCPU, name string) (uint64, error) {
	g, err := f.Lookup(name)
	if err != nil {
		return 0, err
	}
	return f.Get(v, g)
}

// SetReg writes the register called name.
func (f RegisterFile[G]) SetReg(v *kvm.VCPU, name string, val uint64) error {
	g, err := f.Lookup(name)
	if err != nil {
		return err
	}
	return f.Set(v, g, val)
}

// Dump renders the registers in Order as "name=value" pairs for a failure
// message; a register that cannot be read ends the list with the error.
func (f RegisterFile[G]) Dump(v *kvm.VCPU) string {
	var b strings.Builder
	for i, g := range f.Order {
		if i > 0 {
			b.WriteByte(' ')
		}
		val, err := f.Get(v, g)
		if err != nil {
			fmt.Fprintf(&b, "(%v)", err)
			break
		}
		fmt.Fprintf(&b, "%s=%#x", g, val)
	}
	return b.String()
}
