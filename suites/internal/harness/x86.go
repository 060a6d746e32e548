//go:build amd64

package harness

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/arch/x86"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
)

// HypercallInstruction is "vmmcall" or "vmcall", whichever is native to
// the host CPU's vendor (CPUID leaf 0 from KVM_GET_SUPPORTED_CPUID), and
// records the choice as a report entry: x86 hypercall guests exist in both
// forms (vmcall-*, vmmcall-*).
func HypercallInstruction(sys *kvm.System) string {
	GinkgoHelper()
	vendor, err := x86.Vendor(sys)
	if err != nil {
		Fail(fmt.Sprintf("the CPU vendor: %v", err))
	}
	insn := x86.HypercallInstruction(vendor)
	AddReportEntry("hypercall instruction", fmt.Sprintf("%s (CPUID vendor %q)", insn, vendor))
	return insn
}

// AtHypercall describes where a guest that should have left its hypercall
// instruction (the image's `insn`) is: KVM rewrites a VMCALL/VMMCALL that
// is not native to the CPU (em_hypercall → kvm_fix_hypercall, the
// KVM_X86_QUIRK_FIX_HYPERCALL_INSN quirk, arch/x86/kvm/x86.c) and lets the
// guest execute it again, so a KVM implementation whose hypercall
// instruction never exits loops there without an exit to userspace; the
// bytes show what KVM made of the instruction.
func (m *Machine) AtHypercall(v *kvm.VCPU) string {
	insn := m.Sym("insn")
	pc, err := m.Arch.PC(v)
	if err != nil {
		return err.Error()
	}
	if pc != insn {
		return fmt.Sprintf("the guest is at %s, not at its hypercall instruction %s", m.Addr(pc), m.Addr(insn))
	}
	b, _ := m.VM.ReadGuest(insn, 3)
	return fmt.Sprintf("the guest is still at its hypercall instruction %s, whose bytes are now % x (0f 01 c1 VMCALL, 0f 01 d9 VMMCALL)", m.Addr(insn), b)
}

// RunPastHypercall runs the vCPU (bounded) to its next exit and fails the
// spec unless it came back by itself with exit reason want; a hang says
// where the guest is (AtHypercall).
func (m *Machine) RunPastHypercall(v *kvm.VCPU, want uapi.ExitReason) {
	GinkgoHelper()
	rr := v.RunBounded(RunDeadline(), KickGrace())
	if !rr.OK() || rr.ExitReason != want || rr.DeadlinePassed {
		Fail(fmt.Sprintf("want KVM_RUN = 0 with exit %s after the hypercall, got %s; %s; %s", want, rr, m.AtHypercall(v), m.State(v)))
	}
}

// EnableMapGPARangeExit enables KVM_CAP_EXIT_HYPERCALL for
// KVM_HC_MAP_GPA_RANGE, so that the guest's hypercall of that number exits
// with KVM_EXIT_HYPERCALL, and skips the spec where the capability does
// not offer it. The capability's value is the mask of hypercalls it can
// forward, bit n for hypercall n (arch/x86/kvm/x86.c
// kvm_vm_ioctl_check_extension and kvm_vm_ioctl_enable_cap:
// KVM_EXIT_HYPERCALL_VALID_MASK). [5.14]
func (m *Machine) EnableMapGPARangeExit() {
	GinkgoHelper()
	const bit = 1 << x86.KVM_HC_MAP_GPA_RANGE
	mask := RequireCap(m.Sys, m.VM, uapi.KVM_CAP_EXIT_HYPERCALL, "KVM_CAP_EXIT_HYPERCALL")
	if mask&bit == 0 {
		Skip(fmt.Sprintf("capability: KVM_CAP_EXIT_HYPERCALL does not offer KVM_HC_MAP_GPA_RANGE (bit %d)", x86.KVM_HC_MAP_GPA_RANGE))
	}
	if r := m.VM.EnableCap(uapi.KVM_CAP_EXIT_HYPERCALL, bit); r != (kvm.Result{}) {
		Fail(fmt.Sprintf("KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL, 1 << KVM_HC_MAP_GPA_RANGE) = %s, want 0", r))
	}
}

// X86Regs reads KVM_GET_REGS, failing the spec if it cannot: the x86 part
// of the asserting tier (m.PC and m.Reg read one register on every
// architecture).
func X86Regs(v *kvm.VCPU) *x86.Regs {
	GinkgoHelper()
	r, err := x86.GetRegs(v)
	if err != nil {
		Fail(fmt.Sprintf("KVM_GET_REGS on vCPU %d: %v", v.ID(), err))
	}
	return r
}
