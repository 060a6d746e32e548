package harness

import (
	"fmt"
	"sort"

	. "github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
)

// ExpectHex fails the spec unless got == want, with a first line that
// says both in hex, as the state dumps do: "RAX after the IN: want
// 0xb4a39281, got 0x11111111". what may carry fmt arguments.
func ExpectHex(got, want uint64, what string, args ...any) {
	GinkgoHelper()
	if got != want {
		Fail(fmt.Sprintf("%s: want %#x, got %#x", fmt.Sprintf(what, args...), want, got))
	}
}

// SymAt names the image's code or data symbol at addr ("after"), or ""
// when none is there; it prefers lower-case names (labels) to .equ
// constants.
func (m *Machine) SymAt(addr uint64) string {
	var names []string
	for n, a := range m.Image.Symbols {
		if a == addr {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		li, lj := names[i] >= "a", names[j] >= "a"
		if li != lj {
			return li
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// Addr renders a guest address with the symbol there: "0x1013 (after)".
func (m *Machine) Addr(addr uint64) string {
	if n := m.SymAt(addr); n != "" {
		return fmt.Sprintf("%#x (%s)", addr, n)
	}
	return fmt.Sprintf("%#x", addr)
}

// PC reads the vCPU's program counter, failing the spec if it cannot.
func (m *Machine) PC(v *kvm.VCPU) uint64 {
	GinkgoHelper()
	pc, err := m.Arch.PC(v)
	if err != nil {
		Fail(fmt.Sprintf("reading the PC of vCPU %d: %v", v.ID(), err))
	}
	return pc
}

// ExpectPC fails the spec unless the vCPU's PC is at the image's symbol
// sym; the first line of the failure names both addresses with their
// symbols: "PC during the pending I/O exit: want 0x1011 (insn), got 0x1013
// (after)". what may carry fmt arguments.
func (m *Machine) ExpectPC(v *kvm.VCPU, sym string, what string, args ...any) {
	GinkgoHelper()
	want := m.Sym(sym)
	if got := m.PC(v); got != want {
		Fail(fmt.Sprintf("%s: want %s, got %s; %s", fmt.Sprintf(what, args...), m.Addr(want), m.Addr(got), m.State(v)))
	}
}

// ExpectPCIn fails the spec unless the vCPU's PC lies in [from, to), two
// symbols of the image: code that runs from `from` and has not reached
// `to`. what may carry fmt arguments.
func (m *Machine) ExpectPCIn(v *kvm.VCPU, from, to string, what string, args ...any) {
	GinkgoHelper()
	lo, hi, pc := m.Sym(from), m.Sym(to), m.PC(v)
	if pc < lo || pc >= hi {
		Fail(fmt.Sprintf("%s: want a PC in [%s, %s), got %s; %s", fmt.Sprintf(what, args...), m.Addr(lo), m.Addr(hi), m.Addr(pc), m.State(v)))
	}
}

// Reg reads the general register name ("rax", "x1", "a0"), failing the
// spec if it cannot.
func (m *Machine) Reg(v *kvm.VCPU, name string) uint64 {
	GinkgoHelper()
	r, err := m.Arch.Reg(v, name)
	if err != nil {
		Fail(fmt.Sprintf("reading %s of vCPU %d: %v", name, v.ID(), err))
	}
	return r
}

// mpStateSentinel pre-fills struct kvm_mp_state, so that a GET that does not
// write it is visible.
const mpStateSentinel = 0xdeadbeef

// MPState reads KVM_GET_MP_STATE the way architecture a reports it (in the
// struct, or as the ioctl's return value on s390), failing the spec if the
// ioctl fails or leaves the struct unwritten where it must write it. The
// raw kvm.VCPU.GetMPState stays for specs of the ioctl itself.
func MPState(a arch.Arch, v *kvm.VCPU) uapi.MPState {
	GinkgoHelper()
	f := a.MPState()
	st, r := v.GetMPState(mpStateSentinel)
	switch {
	case !r.OK():
		Fail(fmt.Sprintf("KVM_GET_MP_STATE on vCPU %d: %s (%s)", v.ID(), r, f.Source))
	case f.GetReturnsState:
		return uapi.MPState(r.Ret)
	case r.Ret != 0 || st == mpStateSentinel:
		Fail(fmt.Sprintf("KVM_GET_MP_STATE on vCPU %d returned %d and left struct kvm_mp_state at %#x (%s)", v.ID(), r.Ret, st, f.Source))
	}
	return st
}

// MPState is MPState for a vCPU of the machine.
func (m *Machine) MPState(v *kvm.VCPU) uapi.MPState {
	GinkgoHelper()
	return MPState(m.Arch, v)
}
