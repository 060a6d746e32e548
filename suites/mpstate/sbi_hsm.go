package mpstate

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// SBI HSM values (RISC-V SBI specification, chapter 9), as the guest
// reports them: the low 32 bits of a0 (the error), a1 (the value).
const (
	sbiSuccess          = 0
	sbiAlreadyAvailable = 0xFFFFFFFA // -6
	hsmStarted          = 0
	hsmStopped          = 1
	hsmOpaque           = 0xC0FFEE // the guest's default hsm_opaque
)

var _ = Describe("riscv64 hart bring-up through SBI HSM", Label("mp-state", "riscv64", "sbi-hsm"), func() {
	// MP-R2: kvm_sbi_hsm_vcpu_start (arch/riscv/kvm/vcpu_sbi_hsm.c)
	// accepts only a stopped hart, stores its reset state (sepc = start,
	// a0 = hartid, a1 = opaque) and powers it on: RUNNABLE; starting it
	// again gives SBI_ERR_ALREADY_AVAILABLE. HART_GET_STATUS says STARTED,
	// then STOPPED after the target's HART_STOP, which powers it off: its
	// KVM_RUN then sleeps until a signal (kvm_riscv_check_vcpu_requests,
	// KVM_REQ_SLEEP). [5.16, hedge per kernel-semantics §4]
	It("starts a stopped hart with HART_START and stops it with HART_STOP [MP-R2]", Label("MP-R2"), func() {
		sys := harness.OpenKVM()
		a := harness.RequireArch("riscv64")
		m, v0 := harness.NewMachineVCPU(sys, a, "sbi-hsm-caller", harness.MachineOptions{})
		v1 := m.AddVCPUNoEntry(1, arch.InitOptions{})
		Expect(m.MPState(v1)).To(Equal(uapi.KVM_MP_STATE_STOPPED), "vCPU 1 before HART_START (MP-R1)")

		Expect(m.RunToReport(v0)).To(Equal(uint32(sbiSuccess)), "HART_START(1): the SBI error in a0")
		Expect(m.MPState(v1)).To(Equal(uapi.KVM_MP_STATE_RUNNABLE), "vCPU 1 after HART_START")
		Expect(m.RunToReport(v0)).To(Equal(uint32(sbiSuccess)), "HART_GET_STATUS(1): the SBI error")
		Expect(m.Reg(v0, "a1")).To(Equal(uint64(hsmStarted)), "HART_GET_STATUS(1) before it ran: a1")
		Expect(m.RunToReport(v0)).To(Equal(uint32(sbiAlreadyAvailable)), "HART_START(1) again")

		By("running vCPU 1: it starts at `secondary` with a0 = hartid, a1 = opaque")
		Expect(m.RunToReport(v1)).To(Equal(uint32(hsmOpaque)), "a1 of the started hart (its first report)")
		Expect(m.Reg(v1, "a0")).To(Equal(uint64(1)), "a0 of the started hart: its hartid")
		m.ExpectPCIn(v1, "secondary", "hart_stop", "the started hart runs from `secondary`")

		By("HART_STOP on vCPU 1: it stops and its KVM_RUN sleeps")
		expectStopsItself(m, v1, "HART_STOP")
		Expect(m.RunToReport(v0)).To(Equal(uint32(sbiSuccess)), "HART_GET_STATUS(1) after HART_STOP: the SBI error")
		Expect(m.Reg(v0, "a1")).To(Equal(uint64(hsmStopped)), "HART_GET_STATUS(1) after HART_STOP: a1")
	})
})
