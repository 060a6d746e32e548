//go:build amd64

package mpstate

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

var _ = Describe("x86 mp_state of a PV-unhalted vCPU", Label("x86", "mp-state"), func() {
	// MP-X13: KVM_HC_KICK_CPU sets pv_unhalted on the target
	// (kvm_pv_kick_cpu_op: an APIC_DM_REMRD "interrupt", lapic.c
	// __apic_accept_irq), and kvm_arch_vcpu_ioctl_get_mpstate reports a
	// HALTED vCPU with pv_unhalted as RUNNABLE. Once the vCPU has run,
	// vcpu_block clears pv_unhalted and a new HLT makes it HALTED again.
	// [3.12, the pv-ticketlock KVM_HC_KICK_CPU hypercall]
	It("reports a HALTED vCPU kicked by KVM_HC_KICK_CPU as RUNNABLE [MP-X13]", Label("MP-X13"), func() {
		sys := harness.OpenKVM()
		a := harness.RequireArch("x86")
		scenario := harness.HypercallInstruction(sys) + "-kick-cpu"
		m, bsp := harness.NewMachineVCPU(sys, a, scenario, harness.MachineOptions{IRQChip: true})
		ap := m.AddVCPUNoEntry(1, arch.InitOptions{})
		Expect(ap.SetMPState(uapi.KVM_MP_STATE_RUNNABLE)).To(Equal(kvm.Result{}), "start the AP without INIT/SIPI")
		Expect(a.SetEntry(ap, m.Sym("ap_halt"))).To(Succeed())

		By("halting the AP")
		rr := harness.RunFor(ap, 200*time.Millisecond)
		Expect(rr.DeadlinePassed).To(BeTrue(), "cli;hlt with an in-kernel LAPIC blocks: %s; %s", rr, m.State(ap))
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		expectMPState(ap, uapi.KVM_MP_STATE_HALTED, "the AP halted with interrupts off")

		By("KVM_HC_KICK_CPU to APIC ID 1 from the BSP")
		m.RunPastHypercall(bsp, uapi.KVM_EXIT_IO)
		report, ok := m.Report(bsp)
		Expect(ok).To(BeTrue(), "the BSP reports EAX after KVM_HC_KICK_CPU: %s", m.State(bsp))
		Expect(report).To(BeZero(), "EAX after KVM_HC_KICK_CPU (0: done; -1000: KVM_ENOSYS)")
		expectMPState(ap, uapi.KVM_MP_STATE_RUNNABLE, "a HALTED vCPU with pv_unhalted reads as RUNNABLE")

		By("running the AP: it leaves the HLT and halts again")
		rr = harness.RunFor(ap, 200*time.Millisecond)
		Expect(rr.DeadlinePassed).To(BeTrue(), "the AP halts again: %s; %s", rr, m.State(ap))
		expectMPState(ap, uapi.KVM_MP_STATE_HALTED, "pv_unhalted is consumed once the vCPU ran")
	})
})
