//go:build amd64

package mpstate

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/x86"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// apCS is what the AP trampoline reports when a SIPI with
// guests.SIPIVector started it: its CS selector.
const apCS = guests.SIPIVector << 8

// expectAPStartsAtVector runs an AP that INIT and SIPI were sent to: the
// first KVM_RUN returns EAGAIN (kvm_arch_vcpu_ioctl_run's UNINITIALIZED
// branch ends the call once the events are accepted), the next runs the
// trampoline, which reports the CS it runs on.
func expectAPStartsAtVector(m *harness.Machine, ap *kvm.VCPU) {
	GinkgoHelper()
	rr := m.Run(ap)
	Expect(rr.Errno).To(Equal(unix.EAGAIN), "first KVM_RUN of the AP after INIT/SIPI: %s; %s", rr, m.State(ap))
	Expect(m.RunToReport(ap)).To(Equal(uint32(apCS)), "the AP reports its CS from the trampoline")
}

var _ = Describe("x86 INIT/SIPI sent by a guest and against HLT", Label("x86", "init-sipi"), func() {
	// MP-X7 driven by guest code: the BSP writes INIT, then STARTUP, to the
	// ICR; kvm_lapic_reg_write / kvm_x2apic_icr_write -> kvm_apic_send_ipi
	// -> __apic_accept_irq (arch/x86/kvm/lapic.c). The AP, UNINITIALIZED
	// until then, starts at the SIPI vector. [3.10]
	DescribeTable("starts an AP at the SIPI vector when the BSP sends INIT and SIPI through the ICR [MP-X7]", Label("MP-X7"),
		func(scenario string, x2apic bool) {
			sys := harness.OpenKVM()
			a := harness.RequireArch("x86")
			m, bsp := harness.NewMachineVCPU(sys, a, scenario, harness.MachineOptions{IRQChip: true})
			ap := m.AddVCPUNoEntry(1, arch.InitOptions{})
			if x2apic {
				Expect(x86.SetSupportedCPUID(sys, bsp)).To(Succeed())
			}
			Expect(m.RunToReport(bsp)).To(Equal(uint32(guests.ReportSent)), "the BSP reports that INIT and SIPI were written")
			expectAPStartsAtVector(m, ap)
		},
		Entry("xAPIC ICR (MMIO 0xFEE00300/310)", "bsp-init-sipi-xapic", false),
		Entry("x2APIC ICR (MSR 0x830)", "bsp-init-sipi-x2apic", true),
	)

	// MP-X9: an INIT that races with HLT is not lost (66450a21f996, Linux
	// 3.10): INIT is kept in apic->pending_events, kvm_vcpu_has_events
	// counts it as a wake-up, and kvm_apic_accept_events processes it after
	// the halt. 1,000 rounds: the AP reports from the trampoline and halts
	// (cli; hlt), and INIT + SIPI are sent without waiting for it to reach
	// the HLT; every round must restart it at the vector. The 1,000 rounds
	// run 20 times, each time on a fresh VM (about 1 s each under nested
	// TCG); a stress budget (harness.StressBudget) caps the time of the
	// repetitions after the first.
	It("never loses INIT against HLT: 1,000 INIT/SIPI rounds each restart a halting AP [MP-X9]", Label("MP-X9", "stress"), func(ctx SpecContext) {
		const rounds, repetitions = 1000, 20
		sys := harness.OpenKVM()
		a := harness.RequireArch("x86")
		loop := harness.NewStressLoop(fmt.Sprintf("repetitions of %d INIT/SIPI rounds", rounds), repetitions, 0)
		defer loop.Report()
		for loop.Next(ctx) {
			initAgainstHLT(sys, a, loop.N(), rounds)
		}
	})
})

// initAgainstHLT is repetition rep of MP-X9 on a VM of its own, closed
// when it ends: rounds INIT/SIPI rounds, each of which must restart the
// halting AP at the vector.
func initAgainstHLT(sys *kvm.System, a arch.Arch, rep, rounds int) {
	GinkgoHelper()
	m := harness.NewMachine(sys, a, "ap-trampoline", harness.MachineOptions{IRQChip: true})
	defer m.VM.CloseInBackground()
	m.AddVCPUNoEntry(0, arch.InitOptions{})
	ap := m.AddVCPUNoEntry(1, arch.InitOptions{})
	initSIPI := func() {
		Expect(m.VM.SignalMSI(x86.MSIAddr(1), x86.APICDMInit).OK()).To(BeTrue(), "repetition %d: KVM_SIGNAL_MSI INIT", rep)
		Expect(m.VM.SignalMSI(x86.MSIAddr(1), x86.APICDMStartup|guests.SIPIVector).OK()).To(BeTrue(), "repetition %d: KVM_SIGNAL_MSI SIPI", rep)
	}
	initSIPI()
	expectAPStartsAtVector(m, ap)
	for round := 1; round <= rounds; round++ {
		result := make(chan kvm.RunResult, 1)
		go func() { result <- ap.RunBounded(harness.RunDeadline(), harness.KickGrace()) }()
		initSIPI()
		rr := <-result
		if rr.DeadlinePassed || !rr.OK() {
			Fail(fmt.Sprintf("repetition %d, round %d: INIT/SIPI did not restart the AP: %s; %s", rep, round, rr, m.State(ap)))
		}
		if v, ok := m.Report(ap); !ok || v != apCS {
			Fail(fmt.Sprintf("repetition %d, round %d: expected the trampoline's report %#x: %s", rep, round, apCS, m.State(ap)))
		}
		st, r := ap.GetMPState(0xdeadbeef)
		if !r.OK() || st != uapi.KVM_MP_STATE_RUNNABLE {
			Fail(fmt.Sprintf("repetition %d, round %d: mp_state %s (%s) at the trampoline's report, want RUNNABLE", rep, round, mpName(st), r))
		}
	}
}
