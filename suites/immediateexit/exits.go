package immediateexit

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// checkPCDuringExit checks where the PC is while an exit is pending, as the
// architecture's completion facts say (arch.Completion.PCPastAtExit: at
// `after` when the PC moved at emulation time, at `insn` when the
// completion moves it). An exit the facts do not list has its PC recorded,
// not asserted.
func checkPCDuringExit(m *harness.Machine, v *kvm.VCPU, exit uapi.ExitReason, access arch.Access) {
	GinkgoHelper()
	pc := m.PC(v)
	c, ok := m.Arch.Completions().Lookup(exit, access)
	if !ok {
		AddReportEntry("PC during the exit", fmt.Sprintf("exit %s %s: %#x (insn %#x, after %#x); not in the %s completion facts",
			exit, access, pc, m.Sym("insn"), m.Sym("after"), m.Arch.Name()))
		return
	}
	sym := "insn"
	if c.PCPastAtExit {
		sym = "after"
	}
	m.ExpectPC(v, sym, "PC during the pending %s (per %s)", c.Name(), c.Source)
}

// machineFor builds the host architecture's machine for scenario, with
// vCPU 0 at its entry; the spec is skipped where there is no such scenario.
func machineFor(scenario string) (*harness.Machine, *kvm.VCPU) {
	GinkgoHelper()
	sys := harness.OpenKVM()
	a := harness.HostArch()
	return harness.NewMachineVCPU(sys, a, scenario, harness.MachineOptions{})
}

// completeOnce runs with immediate_exit = 1 twice: both must return EINTR,
// the first completes the pending exit (check then looks at the result),
// the second changes nothing (CMP-13); then the guest runs on to its report.
func completeOnce(m *harness.Machine, v *kvm.VCPU, check func(), regs ...string) {
	GinkgoHelper()
	m.RunImmediateEINTR(v, "KVM_RUN with immediate_exit after the exit")
	m.ExpectPC(v, "after", "PC after completion: at `after`")
	Expect(m.Marker()).To(BeZero(), "the code after the instruction ran during the immediate exit")
	if check != nil {
		check()
	}
	before := map[string]uint64{}
	for _, r := range regs {
		before[r] = m.Reg(v, r)
	}
	m.RunImmediateEINTR(v, "second immediate run")
	m.ExpectPC(v, "after", "PC after a second immediate run (CMP-13)")
	for _, r := range regs {
		Expect(m.Reg(v, r)).To(Equal(before[r]), "%s after a second immediate run (CMP-13)", r)
	}
	v.Run().SetImmediateExit(0)
	Expect(m.RunToReport(v)).To(Equal(uint32(guests.ReportDone)), "the guest continues past the instruction")
	Expect(m.Marker()).To(Equal(guests.MarkerValue))
}

var _ = Describe("Completion of other pending exits", Label("completion", "immediate-exit"), harness.ArchLabel(), func() {
	// CMP-9 (arm64: kvm_handle_mmio_return advances the PC for writes at
	// completion, visible after an immediate exit from 5.13, e3e880bb1518),
	// and the same check on every architecture with MMIO: after the
	// immediate run the PC is past the store and nothing more ran. [4.11]
	It("completes a pending MMIO write before the immediate exit [CMP-9]", Label("CMP-9"), func() {
		m, v := machineFor("mmio-store")
		m.RunToExit(v, uapi.KVM_EXIT_MMIO)
		mm := v.Run().MMIO()
		Expect(mm.IsWrite).To(BeTrue(), "%s", m.State(v))
		Expect(mm.PhysAddr).To(Equal(m.Layout.MMIOBase), "mmio.phys_addr")
		Expect(mm.Len).To(Equal(uint32(4)), "mmio.len")
		Expect(m.Layout.ByteOrder.Uint32(mm.Data[:4])).To(Equal(guests.StoreValue), "mmio.data")
		checkPCDuringExit(m, v, uapi.KVM_EXIT_MMIO, arch.AccessWrite)
		completeOnce(m, v, nil)
	})

	// CMP-10 (riscv64): an SBI call in the experimental extension range
	// exits with KVM_EXIT_RISCV_SBI; kvm_riscv_vcpu_sbi_return (via
	// kvm_arch_vcpu_ioctl_run's switch on exit_reason, before the
	// immediate_exit check) sets a0/a1 from riscv_sbi.ret and sepc += 4,
	// once. [5.16]
	It("completes a userspace SBI call before the immediate exit [CMP-10]", Label("CMP-10", "riscv64"), func() {
		harness.RequireArch("riscv64")
		m, v := machineFor("sbi-ecall-exp")
		m.RunToExit(v, uapi.KVM_EXIT_RISCV_SBI)
		sbi := v.Run().RiscvSBI()
		Expect([]uint64{sbi.ExtensionID, sbi.FunctionID, sbi.Args[0]}).To(Equal([]uint64{m.Sym("SBI_EID"), m.Sym("SBI_FID"), 0xa0}),
			"riscv_sbi {extension_id, function_id, args[0]}")
		m.ExpectPC(v, "insn", "sepc during the pending SBI exit")
		v.Run().SetRiscvSBIRet(0, 0x1234)
		completeOnce(m, v, func() {
			Expect([]uint64{m.Reg(v, "a0"), m.Reg(v, "a1")}).To(Equal([]uint64{0, 0x1234}), "a0/a1 = riscv_sbi.ret[0]/ret[1] after completion")
		}, "a0", "a1")
	})

	// CMP-12 (ppc64): an hcall that kvm-hv leaves to userspace exits with
	// KVM_EXIT_PAPR_HCALL; kvm_arch_vcpu_ioctl_run (arch/powerpc/kvm/
	// powerpc.c, hcall_needed) sets r3 = papr_hcall.ret and r4..r12 =
	// args[0..8] before the immediate_exit check, once. [4.11]
	It("completes a userspace PAPR hcall before the immediate exit [CMP-12]", Label("CMP-12", "ppc64"), func() {
		harness.RequireArch("ppc64")
		m, v := machineFor("papr-hcall")
		m.RunToExit(v, uapi.KVM_EXIT_PAPR_HCALL)
		h := v.Run().PaprHcall()
		Expect([]uint64{h.Nr, h.Args[0], h.Args[8]}).To(Equal([]uint64{m.Sym("H_GET_TERM_CHAR"), 4, 12}), "papr_hcall {nr, args[0], args[8]}")
		v.Run().SetPaprHcallRet(0x77)
		v.Run().SetPaprHcallArg(0, 0x400)
		completeOnce(m, v, func() {
			Expect([]uint64{m.Reg(v, "r3"), m.Reg(v, "r4")}).To(Equal([]uint64{0x77, 0x400}), "r3 = ret, r4 = args[0] after completion")
		}, "r3", "r4")
	})
})

// arm64 data aborts without an instruction syndrome (ESR_EL2.ISV = 0, e.g.
// a load pair) cannot be turned into KVM_EXIT_MMIO. io_mem_abort
// (arch/arm64/kvm/mmio.c) fails KVM_RUN with ENOSYS [3.11], or, once
// userspace enabled KVM_CAP_ARM_NISV_TO_USER on the VM, exits with
// KVM_EXIT_ARM_NISV carrying the sanitised ISS (CM, WnR, FSC only:
// kvm_vcpu_dabt_iss_nisv_sanitized) and the faulting IPA [5.5,
// c726200dd106]. Nothing is pending afterwards (kernel-semantics §2.2): an
// immediate run completes nothing and the PC stays at the instruction,
// which runs again unless userspace emulates it.
var _ = Describe("arm64 MMIO aborts without a valid syndrome", Label("completion", "immediate-exit", "arm64", "nisv"), func() {
	It("fail KVM_RUN with ENOSYS unless userspace opted in", func() {
		harness.RequireArch("arm64")
		m, v := machineFor("mmio-nisv")
		rr := m.Run(v)
		Expect(rr.Result).To(Equal(kvm.Fail(unix.ENOSYS)), "KVM_RUN on an ldp from MMIO without KVM_CAP_ARM_NISV_TO_USER: %s; %s", rr, m.State(v))
		m.ExpectPC(v, "insn", "PC after the failed run")
		harness.ExpectHex(m.Reg(v, "x1"), m.Sym("POISON"), "x1 after the failed run")
	})

	It("exit with KVM_EXIT_ARM_NISV with KVM_CAP_ARM_NISV_TO_USER, with nothing to complete", func() {
		harness.RequireArch("arm64")
		m, v := machineFor("mmio-nisv")
		harness.RequireCap(m.Sys, m.VM, uapi.KVM_CAP_ARM_NISV_TO_USER, "KVM_CAP_ARM_NISV_TO_USER")
		Expect(m.VM.EnableCap(uapi.KVM_CAP_ARM_NISV_TO_USER)).To(Equal(kvm.Result{}), "KVM_ENABLE_CAP(KVM_CAP_ARM_NISV_TO_USER)")
		const (
			issCM, issWnR, issFSC = 1 << 8, 1 << 6, 0x3f
		)
		nisvExit := func(what string) {
			GinkgoHelper()
			By(what + ": KVM_RUN to the NISV exit")
			m.RunToExit(v, uapi.KVM_EXIT_ARM_NISV)
			x := v.Run().ArmNISV()
			Expect(x.FaultIPA).To(Equal(m.Layout.MMIOBase), "%s: arm_nisv.fault_ipa", what)
			Expect(x.EsrIss&^uint64(issCM|issWnR|issFSC)).To(BeZero(), "%s: arm_nisv.esr_iss %#x has bits beyond CM, WnR and FSC", what, x.EsrIss)
			Expect(x.EsrIss&issWnR).To(BeZero(), "%s: arm_nisv.esr_iss %#x says write for a load", what, x.EsrIss)
			m.ExpectPC(v, "insn", "%s: PC at the ldp", what)
			AddReportEntry("NISV esr_iss", fmt.Sprintf("%#x", x.EsrIss))
		}
		nisvExit("first run")

		m.RunImmediateEINTR(v, "immediate run after the NISV exit")
		m.ExpectPC(v, "insn", "PC after the immediate run: nothing to complete")
		harness.ExpectHex(m.Reg(v, "x1"), m.Sym("POISON"), "x1 after the immediate run")
		v.Run().SetImmediateExit(0)

		nisvExit("run again without emulating")

		By("emulating the ldp in userspace: x1, x2 and the PC")
		Expect(m.Arch.SetReg(v, "x1", 0xb4a39281)).To(Succeed())
		Expect(m.Arch.SetReg(v, "x2", 0xf8e7d6c5)).To(Succeed())
		Expect(m.Arch.SetPC(v, m.Sym("after"))).To(Succeed())
		Expect(m.RunToReport(v)).To(Equal(uint32(guests.ReportDone)), "the guest's report after the emulated ldp")
		Expect(m.Reg(v, "x1")).To(Equal(uint64(0xb4a39281)), "x1 after the guest went on")
	})
})
