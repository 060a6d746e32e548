package mpstate

import (
	"encoding/binary"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// PSCI return values (Arm DEN 0022), as the guest reports them: the low 32
// bits of x0.
const (
	psciSuccess       = 0
	psciInvalidParams = 0xFFFFFFFE // -2
	psciAlreadyOn     = 0xFFFFFFFC // -4
	psciAffinityOn    = 0
	psciAffinityOff   = 1
	psciContext       = 0xC0FFEE // the guest's default psci_context
	arm64EntryPSTATE  = 0x3C5    // EL1h, DAIF masked: the CPU_ON reset state
	systemEventOff    = 1        // KVM_SYSTEM_EVENT_SHUTDOWN
)

// psciMachine is the psci-caller guest with vCPU 0 at its entry and vCPU 1
// created powered off (KVM_ARM_VCPU_POWER_OFF): STOPPED until a CPU_ON.
func psciMachine() (*harness.Machine, *kvm.VCPU, *kvm.VCPU) {
	GinkgoHelper()
	sys := harness.OpenKVM()
	a := harness.RequireArch("arm64")
	m, v0 := harness.NewMachineVCPU(sys, a, "psci-caller", harness.MachineOptions{})
	v1 := m.AddVCPUNoEntry(1, arch.InitOptions{PowerOff: true})
	return m, v0, v1
}

// expectStopsItself runs a vCPU whose next guest call powers it off (PSCI
// CPU_OFF, SBI HART_STOP): KVM_RUN then sleeps until a signal (the
// watchdog's kick ends it with EINTR) and GET_MP_STATE says STOPPED.
func expectStopsItself(m *harness.Machine, v *kvm.VCPU, call string) {
	GinkgoHelper()
	rr := harness.RunFor(v, 300*time.Millisecond)
	Expect(rr.DeadlinePassed).To(BeTrue(), "KVM_RUN of a vCPU that called %s must sleep until a signal: %s; %s", call, rr, m.State(v))
	Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
	Expect(m.MPState(v)).To(Equal(uapi.KVM_MP_STATE_STOPPED), "vCPU %d after %s", v.ID(), call)
}

// psciStep runs the caller to its next report and checks the PSCI result.
func psciStep(m *harness.Machine, v *kvm.VCPU, call string, want uint32) {
	GinkgoHelper()
	Expect(m.RunToReport(v)).To(Equal(want), "%s: the PSCI return value in x0", call)
}

var _ = Describe("arm64 CPU bring-up through PSCI", Label("mp-state", "arm64", "psci"), func() {
	// MP-A4: kvm_psci_vcpu_on (arch/arm64/kvm/psci.c) checks the target
	// is stopped, stores the reset state (PC = entry, x0 = context, EL1h
	// with DAIF masked) and makes it RUNNABLE; the reset is applied when
	// the target next runs. A second CPU_ON gets ALREADY_ON; AFFINITY_INFO
	// says ON, then OFF after the target's CPU_OFF, which stops it
	// (kvm_arm_vcpu_power_off): its KVM_RUN then sleeps until a signal
	// (kvm_vcpu_sleep). [3.16, PSCI 0.2]
	It("starts a stopped vCPU with CPU_ON and stops it with CPU_OFF [MP-A4]", Label("MP-A4"), func() {
		m, v0, v1 := psciMachine()
		Expect(m.MPState(v1)).To(Equal(uapi.KVM_MP_STATE_STOPPED), "vCPU 1 created with KVM_ARM_VCPU_POWER_OFF")

		psciStep(m, v0, "CPU_ON(vCPU 1)", psciSuccess)
		Expect(m.MPState(v1)).To(Equal(uapi.KVM_MP_STATE_RUNNABLE), "vCPU 1 after CPU_ON")
		psciStep(m, v0, "AFFINITY_INFO(vCPU 1) before it ran", psciAffinityOn)
		psciStep(m, v0, "CPU_ON(vCPU 1) again", psciAlreadyOn)

		By("running vCPU 1: it starts at `secondary` with x0 = context")
		Expect(m.RunToReport(v1)).To(Equal(uint32(psciContext)), "x0 of the started vCPU (its first report)")
		Expect(m.Reg(v1, "pstate")).To(Equal(uint64(arm64EntryPSTATE)), "PSTATE of the started vCPU")
		m.ExpectPCIn(v1, "secondary", "cpu_off", "the started vCPU runs from `secondary`")

		By("CPU_OFF on vCPU 1: it stops and its KVM_RUN sleeps")
		expectStopsItself(m, v1, "CPU_OFF")
		psciStep(m, v0, "AFFINITY_INFO(vCPU 1) after CPU_OFF", psciAffinityOff)
	})

	// MP-A4: CPU_ON to an MPIDR no vCPU has returns INVALID_PARAMETERS
	// (kvm_psci_vcpu_on: kvm_mpidr_to_vcpu returns NULL). [3.16]
	It("rejects CPU_ON to an MPIDR that no vCPU has [MP-A4]", Label("MP-A4"), func() {
		m, v0, v1 := psciMachine()
		target, err := m.Image.SymPhys("psci_target")
		Expect(err).NotTo(HaveOccurred())
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], 7)
		Expect(m.VM.WriteGuest(target, b[:])).To(Succeed())
		psciStep(m, v0, "CPU_ON(MPIDR 7)", psciInvalidParams)
		Expect(m.MPState(v1)).To(Equal(uapi.KVM_MP_STATE_STOPPED), "vCPU 1 is untouched")
	})

	// MP-A5: SYSTEM_OFF ends the caller's KVM_RUN with 0 and
	// KVM_EXIT_SYSTEM_EVENT type SHUTDOWN, and kvm_prepare_system_event
	// (psci.c) has stopped every vCPU. [4.x; KVM_EXIT_SYSTEM_EVENT 3.16]
	It("stops every vCPU and exits with a SHUTDOWN system event on SYSTEM_OFF [MP-A5]", Label("MP-A5"), func() {
		m, v0, v1 := psciMachine()
		psciStep(m, v0, "CPU_ON(vCPU 1)", psciSuccess)
		psciStep(m, v0, "AFFINITY_INFO", psciAffinityOn)
		psciStep(m, v0, "CPU_ON again", psciAlreadyOn)
		psciStep(m, v0, "AFFINITY_INFO again (vCPU 1 never ran)", psciAffinityOn)
		m.RunToExit(v0, uapi.KVM_EXIT_SYSTEM_EVENT)
		Expect(v0.Run().SystemEvent().Type).To(Equal(uint32(systemEventOff)), "system_event.type")
		for _, v := range []*kvm.VCPU{v0, v1} {
			Expect(m.MPState(v)).To(Equal(uapi.KVM_MP_STATE_STOPPED), "vCPU %d after SYSTEM_OFF", v.ID())
		}
	})
})
