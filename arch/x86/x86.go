//go:build linux && amd64

package x86

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"golang.org/x/sys/unix"
)

var _ arch.Arch = Arch{}

// TSSAddr is where KVM_SET_TSS_ADDR puts the three pages VMX needs for
// real-mode emulation (the address QEMU uses, below 4 GiB and outside RAM).
const TSSAddr = 0xfffbd000

// Name implements arch.Arch.
func (Arch) Name() string { return "x86" }

// PrepareVM sets the TSS address (needed by Intel VMX to run real mode;
// harmless elsewhere).
func (Arch) PrepareVM(vm *kvm.VM) error {
	if r := vm.IoctlValue(KVM_SET_TSS_ADDR, TSSAddr); !r.OK() {
		return fmt.Errorf("KVM_SET_TSS_ADDR: %s", r)
	}
	return nil
}

// InitVCPU implements arch.Arch. With an in-kernel LAPIC it writes the
// vCPU's LAPIC state back, as a VMM does, so that the VM's APIC map
// contains the new vCPU (see RewriteLAPIC); x86 needs nothing else.
func (Arch) InitVCPU(v *kvm.VCPU, _ arch.InitOptions) error {
	var s LAPICState
	r := v.Ioctl(KVM_GET_LAPIC, unsafe.Pointer(&s))
	if r.Errno == unix.EINVAL || r.Errno == unix.ENXIO {
		return nil // no in-kernel LAPIC (kvm_arch_vcpu_ioctl: -EINVAL, or -ENXIO)
	}
	if !r.OK() {
		return fmt.Errorf("KVM_GET_LAPIC: %s", r)
	}
	if r := v.Ioctl(KVM_SET_LAPIC, unsafe.Pointer(&s)); !r.OK() {
		return fmt.Errorf("KVM_SET_LAPIC: %s", r)
	}
	return nil
}

// SetEntry puts the vCPU in real mode at CS=0, IP=entry (the x86 guest
// images start in real mode and switch modes themselves).
func (a Arch) SetEntry(v *kvm.VCPU, entry uint64) error {
	if entry > 0xffff {
		return fmt.Errorf("x86 real-mode entry %#x is above 64 KiB", entry)
	}
	s, err := GetSregs(v)
	if err != nil {
		return err
	}
	s.Cs.Base, s.Cs.Selector = 0, 0
	if err := SetSregs(v, s); err != nil {
		return err
	}
	regs := Regs{Rip: entry, Rflags: 0x2}
	return SetRegs(v, &regs)
}

// GetRegs is KVM_GET_REGS.
func GetRegs(v *kvm.VCPU) (*Regs, error) {
	var r Regs
	if res := v.Ioctl(uapi.KVM_GET_REGS, unsafe.Pointer(&r)); !res.OK() {
		return nil, fmt.Errorf("KVM_GET_REGS: %s", res)
	}
	return &r, nil
}

// SetRegs is KVM_SET_REGS.
func SetRegs(v *kvm.VCPU, r *Regs) error {
	if res := v.Ioctl(uapi.KVM_SET_REGS, unsafe.Pointer(r)); !res.OK() {
		return fmt.Errorf("KVM_SET_REGS: %s", res)
	}
	return nil
}

// GetSregs is KVM_GET_SREGS.
func GetSregs(v *kvm.VCPU) (*Sregs, error) {
	var s Sregs
	if res := v.Ioctl(KVM_GET_SREGS, unsafe.Pointer(&s)); !res.OK() {
		return nil, fmt.Errorf("KVM_GET_SREGS: %s", res)
	}
	return &s, nil
}

// SetSregs is KVM_SET_SREGS.
func SetSregs(v *kvm.VCPU, s *Sregs) error {
	if res := v.Ioctl(KVM_SET_SREGS, unsafe.Pointer(s)); !res.OK() {
		return fmt.Errorf("KVM_SET_SREGS: %s", res)
	}
	return nil
}

// PC implements arch.Arch (RIP).
func (Arch) PC(v *kvm.VCPU) (uint64, error) {
	r, err := GetRegs(v)
	if err != nil {
		return 0, err
	}
	return r.Rip, nil
}

// SetPC implements arch.Arch (RIP).
func (Arch) SetPC(v *kvm.VCPU, pc uint64) error {
	r, err := GetRegs(v)
	if err != nil {
		return err
	}
	r.Rip = pc
	return SetRegs(v, r)
}

// reg returns a pointer to the named register inside r.
func reg(r *Regs, name string) (*uint64, error) {
	switch strings.ToLower(name) {
	case "rax", "eax", "ax", "al":
		return &r.Rax, nil
	case "rbx", "ebx", "bx", "bl":
		return &r.Rbx, nil
	case "rcx", "ecx", "cx", "cl":
		return &r.Rcx, nil
	case "rdx", "edx", "dx", "dl":
		return &r.Rdx, nil
	case "rsi", "esi", "si":
		return &r.Rsi, nil
	case "rdi", "edi", "di":
		return &r.Rdi, nil
	case "rsp", "esp", "sp":
		return &r.Rsp, nil
	case "rbp", "ebp", "bp":
		return &r.Rbp, nil
	case "r8":
		return &r.R8, nil
	case "r9":
		return &r.R9, nil
	case "r10":
		return &r.R10, nil
	case "r11":
		return &r.R11, nil
	case "r12":
		return &r.R12, nil
	case "r13":
		return &r.R13, nil
	case "r14":
		return &r.R14, nil
	case "r15":
		return &r.R15, nil
	case "rip":
		return &r.Rip, nil
	case "rflags", "eflags":
		return &r.Rflags, nil
	}
	return nil, fmt.Errorf("x86 has no general register %q", name)
}

// Reg implements arch.Arch; the 64-bit register is returned whatever width
// the name gives ("eax" reads all of RAX).
func (Arch) Reg(v *kvm.VCPU, name string) (uint64, error) {
	r, err := GetRegs(v)
	if err != nil {
		return 0, err
	}
	p, err := reg(r, name)
	if err != nil {
		return 0, err
	}
	return *p, nil
}

// SetReg implements arch.Arch.
func (Arch) SetReg(v *kvm.VCPU, name string, val uint64) error {
	r, err := GetRegs(v)
	if err != nil {
		return err
	}
	p, err := reg(r, name)
	if err != nil {
		return err
	}
	*p = val
	return SetRegs(v, r)
}

// Dump implements arch.Arch.
func (Arch) Dump(v *kvm.VCPU) string {
	r, err := GetRegs(v)
	if err != nil {
		return err.Error()
	}
	out := fmt.Sprintf("rip=%#x rflags=%#x rax=%#x rbx=%#x rcx=%#x rdx=%#x rsi=%#x rdi=%#x rsp=%#x rbp=%#x",
		r.Rip, r.Rflags, r.Rax, r.Rbx, r.Rcx, r.Rdx, r.Rsi, r.Rdi, r.Rsp, r.Rbp)
	if s, err := GetSregs(v); err == nil {
		out += fmt.Sprintf(" cs=%#x/base %#x cr0=%#x efer=%#x apic_base=%#x", s.Cs.Selector, s.Cs.Base, s.Cr0, s.Efer, s.Apic_base)
	}
	return out
}
