//go:build amd64

package mpstate

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/x86"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// expectMPState fails the spec unless the x86 vCPU's mp_state is want.
func expectMPState(v *kvm.VCPU, want uapi.MPState, why string) {
	GinkgoHelper()
	got := harness.MPState(x86.Arch{}, v)
	Expect(got).To(Equal(want), "vCPU %d mp_state is %s, want %s: %s", v.ID(), mpName(got), mpName(want), why)
}

// x86VM creates a VM, with the in-kernel irqchip when irqchip is set, and
// n vCPUs with no memory (these specs never let a guest instruction run).
func x86VM(irqchip bool, n int) (*kvm.VM, []*kvm.VCPU) {
	GinkgoHelper()
	sys := harness.OpenKVM()
	a := harness.RequireArch("x86")
	vm := harness.CreateVM(sys, a)
	if irqchip {
		harness.RequireCap(sys, vm, uapi.KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP")
		Expect(vm.CreateIRQChip()).To(Equal(kvm.Result{}), "KVM_CREATE_IRQCHIP")
	}
	var vcpus []*kvm.VCPU
	for i := 0; i < n; i++ {
		v, err := vm.CreateVCPU(uint32(i))
		Expect(err).NotTo(HaveOccurred())
		Expect(a.InitVCPU(v, arch.InitOptions{})).To(Succeed())
		vcpus = append(vcpus, v)
	}
	return vm, vcpus
}

// setMPStateErrno is what the x86 facts say KVM_SET_MP_STATE(state) fails
// with, with or without an in-kernel LAPIC (0: accepted).
func setMPStateErrno(f arch.MPStateFacts, lapic bool, state uapi.MPState) unix.Errno {
	r, ok := f.SetRule(state)
	switch {
	case !ok:
		return f.RejectErrno
	case r.Requires == "" || (lapic && r.Requires == x86.LAPICRequirement):
		return 0
	default:
		return f.RejectErrno
	}
}

// mpStateValidationEntries tries every defined mp_state value and a few
// past the end of the enum, with and without the in-kernel LAPIC.
func mpStateValidationEntries() []TableEntry {
	f := x86.Arch{}.MPState()
	states := []uapi.MPState{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99, 0x80000000, 0xffffffff}
	var entries []TableEntry
	for _, lapic := range []bool{false, true} {
		for _, st := range states {
			what := map[bool]string{false: "no LAPIC", true: "LAPIC"}[lapic]
			verdict := "accepted"
			if setMPStateErrno(f, lapic, st) != 0 {
				verdict = "rejected"
			}
			entries = append(entries, Entry(fmt.Sprintf("%s: %s %s", what, mpName(st), verdict), lapic, st))
		}
	}
	return entries
}

// msiINIT and msiSIPI are KVM_SIGNAL_MSI messages with delivery mode INIT
// (edge) and STARTUP to APIC id dest (kernel-semantics §4.1; the APIC id
// defaults to the vcpu id; arch/x86/kvm/irq_comm.c kvm_set_msi_irq decodes
// the message as the hardware does, see arch/x86/apic.go). The ioctl's
// positive return counts the vCPUs the message was delivered to, but its
// value is recorded rather than asserted: the specs judge the delivery by
// its effect on mp_state and registers.
func msiINIT(vm *kvm.VM, dest uint8) { signalMSI(vm, dest, x86.APICDMInit, "INIT") }

func msiSIPI(vm *kvm.VM, dest uint8, vector uint8) {
	signalMSI(vm, dest, x86.APICDMStartup|uint32(vector), fmt.Sprintf("STARTUP vector %#x", vector))
}

func signalMSI(vm *kvm.VM, dest uint8, data uint32, what string) {
	GinkgoHelper()
	r := vm.SignalMSI(x86.MSIAddr(dest), data)
	Expect(r.OK()).To(BeTrue(), "KVM_SIGNAL_MSI %s to APIC %d: %s", what, dest, r)
	AddReportEntry("KVM_SIGNAL_MSI "+what, fmt.Sprintf("to APIC %d returned %s", dest, r))
}

// expectResetState checks the register state kvm_vcpu_reset(init_event=true)
// leaves (arch/x86/kvm/x86.c kvm_vcpu_reset, svm_vcpu_reset/vmx_vcpu_reset;
// kernel-semantics §4.1): RIP 0xFFF0, CS 0xF000/0xFFFF0000, RFLAGS 0x2,
// RDX = CPUID.1.EAX (0x600 when no CPUID was set), other GPRs 0, CR0 =
// ET|CD|NW when the guest never cleared CD/NW, CR2/CR3/CR4 = 0, EFER = 0.
func expectResetState(v *kvm.VCPU, who string) {
	GinkgoHelper()
	r := harness.X86Regs(v)
	s, err := x86.GetSregs(v)
	Expect(err).NotTo(HaveOccurred())
	harness.ExpectHex(r.Rip, 0xfff0, "%s: RIP after INIT", who)
	harness.ExpectHex(r.Rflags, 0x2, "%s: RFLAGS after INIT", who)
	harness.ExpectHex(r.Rdx, 0x600, "%s: RDX after INIT is CPUID.1.EAX, 0x600 with no CPUID set", who)
	for name, val := range map[string]uint64{"rax": r.Rax, "rbx": r.Rbx, "rcx": r.Rcx, "rsi": r.Rsi, "rdi": r.Rdi, "rsp": r.Rsp, "rbp": r.Rbp} {
		Expect(val).To(BeZero(), "%s: %s after INIT", who, name)
	}
	Expect(s.Cs.Selector).To(Equal(uint16(0xf000)), "%s: CS.selector after INIT", who)
	harness.ExpectHex(s.Cs.Base, 0xffff0000, "%s: CS.base after INIT", who)
	Expect(s.Cr0).To(Equal(uint64(0x60000010)), "%s: CR0 after INIT (ET|CD|NW)", who)
	Expect([]uint64{s.Cr2, s.Cr3, s.Cr4, s.Efer}).To(Equal([]uint64{0, 0, 0, 0}), "%s: CR2, CR3, CR4, EFER after INIT", who)
}

// dirtyRegs moves a vCPU away from its reset state so a reset is visible.
func dirtyRegs(v *kvm.VCPU) {
	GinkgoHelper()
	Expect(x86.SetRegs(v, &x86.Regs{Rip: 0x1234, Rax: 0x5a5a, Rbx: 7, Rflags: 0x2})).To(Succeed())
}

var _ = Describe("x86 mp_state and INIT/SIPI", Label("x86", "init-sipi"), func() {
	// MP-X1: kvm_arch_vcpu_create (arch/x86/kvm/x86.c) makes a vCPU RUNNABLE
	// when there is no in-kernel irqchip or it is the boot vCPU
	// (bsp_vcpu_id, default 0), UNINITIALIZED otherwise. [2.6.26]
	It("starts the BSP RUNNABLE and an AP UNINITIALIZED with an in-kernel irqchip [MP-X1]", Label("MP-X1"), func() {
		_, v := x86VM(true, 2)
		expectMPState(v[0], uapi.KVM_MP_STATE_RUNNABLE, "vCPU 0 is the boot CPU")
		expectMPState(v[1], uapi.KVM_MP_STATE_UNINITIALIZED, "an AP waits for INIT/SIPI")
	})

	It("starts every vCPU RUNNABLE without an in-kernel irqchip [MP-X1]", Label("MP-X1"), func() {
		_, v := x86VM(false, 2)
		expectMPState(v[0], uapi.KVM_MP_STATE_RUNNABLE, "no irqchip")
		expectMPState(v[1], uapi.KVM_MP_STATE_RUNNABLE, "no irqchip: no LAPIC to wait for INIT")
	})

	// MP-X2: KVM_SET_BOOT_CPU_ID (arch/x86/kvm/x86.c kvm_arch_vm_ioctl)
	// moves the BSP; once a vCPU exists it fails with EBUSY. [2.6.3x]
	It("moves the BSP with KVM_SET_BOOT_CPU_ID and refuses it with EBUSY once vCPUs exist [MP-X2]", Label("MP-X2"), func() {
		sys := harness.OpenKVM()
		a := harness.RequireArch("x86")
		vm := harness.CreateVM(sys, a)
		harness.RequireCap(sys, vm, uapi.KVM_CAP_SET_BOOT_CPU_ID, "KVM_CAP_SET_BOOT_CPU_ID")
		Expect(vm.CreateIRQChip()).To(Equal(kvm.Result{}), "KVM_CREATE_IRQCHIP")
		Expect(vm.SetBootCPUID(1)).To(Equal(kvm.Result{}), "KVM_SET_BOOT_CPU_ID(1) before any vCPU")
		v0, err := vm.CreateVCPU(0)
		Expect(err).NotTo(HaveOccurred())
		v1, err := vm.CreateVCPU(1)
		Expect(err).NotTo(HaveOccurred())
		expectMPState(v1, uapi.KVM_MP_STATE_RUNNABLE, "vCPU 1 is the boot CPU")
		expectMPState(v0, uapi.KVM_MP_STATE_UNINITIALIZED, "vCPU 0 is an AP")
		apic1, err := x86.GetMSR(v1, x86.MSRAPICBase)
		Expect(err).NotTo(HaveOccurred())
		apic0, err := x86.GetMSR(v0, x86.MSRAPICBase)
		Expect(err).NotTo(HaveOccurred())
		Expect(apic1&x86.APICBaseBSP).NotTo(BeZero(), "IA32_APIC_BASE.BSP of vCPU 1 (%#x)", apic1)
		Expect(apic0&x86.APICBaseBSP).To(BeZero(), "IA32_APIC_BASE.BSP of vCPU 0 (%#x)", apic0)
		Expect(vm.SetBootCPUID(0)).To(Equal(kvm.Fail(unix.EBUSY)), "KVM_SET_BOOT_CPU_ID after vCPUs exist")
	})

	// MP-X3: kvm_arch_vcpu_ioctl_set_mpstate accepts RUNNABLE always, and
	// UNINITIALIZED, INIT_RECEIVED, HALTED, SIPI_RECEIVED and AP_RESET_HOLD
	// only with an in-kernel LAPIC; anything else is EINVAL. The values
	// and their conditions come from the x86 facts (arch/x86/facts.go
	// MPState). [≈3.10; 9 in 5.11]
	DescribeTable("KVM_SET_MP_STATE validation [MP-X3]", Label("MP-X3"),
		func(irqchip bool, state uapi.MPState) {
			f := x86.Arch{}.MPState()
			want := kvm.Result{}
			if e := setMPStateErrno(f, irqchip, state); e != 0 {
				want = kvm.Fail(e)
			}
			_, v := x86VM(irqchip, 2)
			Expect(v[1].SetMPState(state)).To(Equal(want), "KVM_SET_MP_STATE(%s), in-kernel LAPIC %v (%s)", mpName(state), irqchip, f.Source)
		},
		mpStateValidationEntries(),
	)

	// MP-X4: SET_MP_STATE(SIPI_RECEIVED) is translated into INIT_RECEIVED plus
	// a pending SIPI (kvm_arch_vcpu_ioctl_set_mpstate), delivered with the
	// current sipi_vector by the next kvm_apic_accept_events (arch/x86/kvm/
	// lapic.c), which KVM_GET_MP_STATE runs first: GET never reports
	// SIPI_RECEIVED. [3.10, 66450a21f996]
	It("accepts SIPI_RECEIVED, delivers the SIPI vector and never reports SIPI_RECEIVED [MP-X4]", Label("MP-X4"), func() {
		_, v := x86VM(true, 2)
		ap := v[1]
		ev, err := x86.GetVCPUEvents(ap)
		Expect(err).NotTo(HaveOccurred())
		ev.SetFlags(ev.Flags() | x86.KVM_VCPUEVENT_VALID_SIPI_VECTOR)
		ev.SetSipiVector(0x12)
		Expect(x86.SetVCPUEvents(ap, ev)).To(Equal(kvm.Result{}), "KVM_SET_VCPU_EVENTS(VALID_SIPI_VECTOR, 0x12)")
		Expect(ap.SetMPState(uapi.KVM_MP_STATE_SIPI_RECEIVED)).To(Equal(kvm.Result{}), "KVM_SET_MP_STATE(SIPI_RECEIVED)")
		expectMPState(ap, uapi.KVM_MP_STATE_RUNNABLE, "the translated SIPI is delivered by GET's kvm_apic_accept_events")
		s, err := x86.GetSregs(ap)
		Expect(err).NotTo(HaveOccurred())
		r := harness.X86Regs(ap)
		Expect(s.Cs.Selector).To(Equal(uint16(0x1200)), "CS.selector = vector << 8")
		harness.ExpectHex(s.Cs.Base, 0x12000, "CS.base = vector << 12")
		Expect(r.Rip).To(BeZero(), "RIP after SIPI")
	})

	// MP-X5 and IE-5: an AP waiting for SIPI (INIT_RECEIVED) or for INIT
	// (UNINITIALIZED) does not run. With immediate_exit it returns EINTR at
	// once (UNINITIALIZED: kvm_arch_vcpu_ioctl_run's first branch, 4.14,
	// 2f173d268855); without, it blocks until a signal, which gives EINTR
	// with KVM_EXIT_INTR (4.14, a05950009f50) and leaves the state alone.
	DescribeTable("an AP that waits for INIT or SIPI [MP-X5, IE-5, MP-X10]",
		func(state uapi.MPState) {
			_, v := x86VM(true, 2)
			ap := v[1]
			if state != uapi.KVM_MP_STATE_UNINITIALIZED {
				Expect(ap.SetMPState(state)).To(Equal(kvm.Result{}), "KVM_SET_MP_STATE(%s)", mpName(state))
			}
			expectMPState(ap, state, "before KVM_RUN")

			By("KVM_RUN with immediate_exit = 1 returns EINTR without blocking")
			ap.Run().SetImmediateExit(1)
			rr := harness.RunFor(ap, harness.RunDeadline())
			Expect(rr.DeadlinePassed).To(BeFalse(), "KVM_RUN blocked despite immediate_exit: %s", rr)
			Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
			expectMPState(ap, state, "after the immediate exit")

			By("KVM_RUN without immediate_exit blocks until the kick, then returns EINTR with KVM_EXIT_INTR")
			ap.Run().SetImmediateExit(0)
			rr = harness.RunFor(ap, 300*time.Millisecond)
			Expect(rr.DeadlinePassed).To(BeTrue(), "KVM_RUN returned by itself on an AP that has no INIT/SIPI: %s", rr)
			Expect(rr.Interrupted()).To(BeTrue(), "a signal while waiting gives EINTR + KVM_EXIT_INTR: %s", rr)
			expectMPState(ap, state, "after the signal")
		},
		Entry("UNINITIALIZED (waiting for INIT)", Label("IE-5", "MP-X10", "immediate-exit"), uapi.KVM_MP_STATE_UNINITIALIZED),
		Entry("INIT_RECEIVED (waiting for SIPI)", Label("MP-X5", "immediate-exit"), uapi.KVM_MP_STATE_INIT_RECEIVED),
	)

	// MP-X6: INIT to the BSP (kvm_apic_accept_events in lapic.c: BSP ->
	// RUNNABLE after kvm_vcpu_reset(init_event=true); "BSP" is
	// IA32_APIC_BASE.BSP). [3.10]
	DescribeTable("INIT restarts the BSP at the reset vector and leaves it RUNNABLE [MP-X6]", Label("MP-X6"),
		func(send func(vm *kvm.VM, v *kvm.VCPU)) {
			vm, v := x86VM(true, 1)
			bsp := v[0]
			dirtyRegs(bsp)
			send(vm, bsp)
			expectMPState(bsp, uapi.KVM_MP_STATE_RUNNABLE, "the BSP restarts after INIT")
			expectResetState(bsp, "BSP")
		},
		Entry("INIT by KVM_SIGNAL_MSI", func(vm *kvm.VM, _ *kvm.VCPU) { msiINIT(vm, 0) }),
		Entry("INIT latched by KVM_SET_VCPU_EVENTS (smi.latched_init)", func(_ *kvm.VM, v *kvm.VCPU) { latchINIT(v, false) }),
	)

	// MP-X7: INIT to an AP resets it into INIT_RECEIVED (wait-for-SIPI); a
	// SIPI then makes it RUNNABLE at CS = vector << 8 / base vector << 12,
	// RIP 0 (lapic.c kvm_apic_accept_events, kvm_vcpu_deliver_sipi_vector).
	// [3.10]
	It("takes an AP through INIT (INIT_RECEIVED, reset state) and SIPI (RUNNABLE at the vector) [MP-X7]", Label("MP-X7"), func() {
		vm, v := x86VM(true, 2)
		ap := v[1]
		dirtyRegs(ap)
		msiINIT(vm, 1)
		expectMPState(ap, uapi.KVM_MP_STATE_INIT_RECEIVED, "an AP waits for SIPI after INIT")
		expectResetState(ap, "AP after INIT")
		msiSIPI(vm, 1, 0x34)
		expectMPState(ap, uapi.KVM_MP_STATE_RUNNABLE, "SIPI starts the AP")
		s, err := x86.GetSregs(ap)
		Expect(err).NotTo(HaveOccurred())
		r := harness.X86Regs(ap)
		Expect([]uint64{uint64(s.Cs.Selector), s.Cs.Base, r.Rip}).To(Equal([]uint64{0x3400, 0x34000, 0}),
			"CS.selector, CS.base, RIP after SIPI vector 0x34")
	})

	// MP-X8: a SIPI that finds the vCPU in any state but INIT_RECEIVED is
	// discarded (lapic.c kvm_apic_accept_events). [3.10]
	It("discards a SIPI sent to a vCPU that is not waiting for one [MP-X8]", Label("MP-X8"), func() {
		vm, v := x86VM(true, 3)
		running, uninit := v[1], v[2]
		Expect(running.SetMPState(uapi.KVM_MP_STATE_RUNNABLE)).To(Equal(kvm.Result{}))
		dirtyRegs(running)
		msiSIPI(vm, 1, 0x34)
		msiSIPI(vm, 2, 0x34)
		expectMPState(running, uapi.KVM_MP_STATE_RUNNABLE, "a SIPI to a RUNNABLE vCPU is discarded")
		expectMPState(uninit, uapi.KVM_MP_STATE_UNINITIALIZED, "a SIPI without INIT is discarded")
		r := harness.X86Regs(running)
		harness.ExpectHex(r.Rip, 0x1234, "RIP of the RUNNABLE vCPU after a discarded SIPI")
		s, err := x86.GetSregs(running)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Cs.Base).NotTo(Equal(uint64(0x34000)), "CS.base moved to the SIPI vector")
	})

	// MP-X10: an AP blocked in KVM_RUN while UNINITIALIZED is woken by INIT
	// and SIPI from another thread; kvm_arch_vcpu_ioctl_run's UNINITIALIZED
	// branch then returns -EAGAIN (not 0): the guest does not run in that
	// call. Whether INIT/SIPI land before or during the block, the call
	// must end with EAGAIN. [2.6.3x]
	It("returns EAGAIN from KVM_RUN when INIT/SIPI wake an UNINITIALIZED AP [MP-X10]", Label("MP-X10"), func() {
		vm, v := x86VM(true, 2)
		ap := v[1]
		result := make(chan kvm.RunResult, 1)
		go func() { result <- ap.RunBounded(harness.RunDeadline(), harness.KickGrace()) }()
		msiINIT(vm, 1)
		msiSIPI(vm, 1, 0x40)
		var rr kvm.RunResult
		Eventually(result).WithTimeout(harness.RunDeadline() + harness.KickGrace() + time.Second).Should(Receive(&rr))
		Expect(rr.DeadlinePassed).To(BeFalse(), "INIT/SIPI did not wake the AP: %s", rr)
		Expect(rr.Errno).To(Equal(unix.EAGAIN), "KVM_RUN on the woken AP: %s", rr)
		expectMPState(ap, uapi.KVM_MP_STATE_RUNNABLE, "after INIT and SIPI")
		s, err := x86.GetSregs(ap)
		Expect(err).NotTo(HaveOccurred())
		harness.ExpectHex(s.Cs.Base, 0x40000, "CS.base after SIPI vector 0x40")
	})

	// MP-X11: INIT is latched, not processed, while the vCPU is in SMM
	// (lapic.c kvm_apic_accept_events: !kvm_apic_init_sipi_allowed keeps the
	// INIT pending); leaving SMM lets it through. [≈4.2]
	It("latches INIT while in SMM and processes it when SMM is left [MP-X11]", Label("MP-X11", "smm"), func() {
		_, v := x86VM(true, 1)
		bsp := v[0]
		harness.RequireCap(bsp.VM().System(), bsp.VM(), uapi.KVM_CAP_X86_SMM, "KVM_CAP_X86_SMM")
		dirtyRegs(bsp)
		latchINIT(bsp, true)
		expectMPState(bsp, uapi.KVM_MP_STATE_RUNNABLE, "INIT latched in SMM")
		ev, err := x86.GetVCPUEvents(bsp)
		Expect(err).NotTo(HaveOccurred())
		Expect(ev.LatchedInit()).To(Equal(uint8(1)), "KVM_GET_VCPU_EVENTS smi.latched_init while in SMM")
		r := harness.X86Regs(bsp)
		harness.ExpectHex(r.Rip, 0x1234, "RIP: the latched INIT must not reset the vCPU in SMM")

		By("leaving SMM with the INIT still latched")
		ev.SetFlags(ev.Flags() | x86.KVM_VCPUEVENT_VALID_SMM)
		ev.SetSMM(0)
		Expect(x86.SetVCPUEvents(bsp, ev)).To(Equal(kvm.Result{}), "KVM_SET_VCPU_EVENTS(smm=0, latched_init=1)")
		expectMPState(bsp, uapi.KVM_MP_STATE_RUNNABLE, "the BSP restarts after INIT")
		expectResetState(bsp, "BSP after the latched INIT")
	})

	// MP-X12: SET_MP_STATE(INIT_RECEIVED) while INIT is blocked (SMM) failed
	// with EINVAL in kvm_arch_vcpu_ioctl_set_mpstate until "KVM: x86: Move
	// INIT_RECEIVED vs. INIT/SIPI blocked check to KVM_RUN" (≈6.17), after
	// which the SET succeeds and the next KVM_RUN fails with EINVAL in
	// kvm_x86_vcpu_pre_run. Exactly one of the two fails.
	It("rejects INIT_RECEIVED in SMM either at KVM_SET_MP_STATE or at the next KVM_RUN [MP-X12]", Label("MP-X12", "smm"), func() {
		_, v := x86VM(true, 2)
		ap := v[1]
		harness.RequireCap(ap.VM().System(), ap.VM(), uapi.KVM_CAP_X86_SMM, "KVM_CAP_X86_SMM")
		ev, err := x86.GetVCPUEvents(ap)
		Expect(err).NotTo(HaveOccurred())
		ev.SetFlags(ev.Flags() | x86.KVM_VCPUEVENT_VALID_SMM)
		ev.SetSMM(1)
		Expect(x86.SetVCPUEvents(ap, ev)).To(Equal(kvm.Result{}), "KVM_SET_VCPU_EVENTS(smm=1)")
		set := ap.SetMPState(uapi.KVM_MP_STATE_INIT_RECEIVED)
		if !set.OK() {
			Expect(set).To(Equal(kvm.Fail(unix.EINVAL)), "KVM_SET_MP_STATE(INIT_RECEIVED) in SMM")
			AddReportEntry("MP-X12 behaviour", "pre-6.17: KVM_SET_MP_STATE fails with EINVAL")
			return
		}
		rr := harness.RunFor(ap, harness.RunDeadline())
		Expect(rr.DeadlinePassed).To(BeFalse(), "%s", rr)
		Expect(rr.Errno).To(Equal(unix.EINVAL), "KVM_SET_MP_STATE(INIT_RECEIVED) in SMM succeeded, so the next KVM_RUN must fail: %s", rr)
		AddReportEntry("MP-X12 behaviour", "6.17+: KVM_SET_MP_STATE succeeds, KVM_RUN fails with EINVAL")
	})
})

// latchINIT sets a pending INIT through KVM_SET_VCPU_EVENTS (smi.latched_init,
// kernel-semantics §4.1), entering SMM first when inSMM. GET, modify, SET: a
// zeroed struct would clear pending events.
func latchINIT(v *kvm.VCPU, inSMM bool) {
	GinkgoHelper()
	ev, err := x86.GetVCPUEvents(v)
	Expect(err).NotTo(HaveOccurred())
	ev.SetFlags(ev.Flags() | x86.KVM_VCPUEVENT_VALID_SMM)
	if inSMM {
		ev.SetSMM(1)
	}
	ev.SetLatchedInit(1)
	Expect(x86.SetVCPUEvents(v, ev)).To(Equal(kvm.Result{}), "KVM_SET_VCPU_EVENTS(latched_init=1, smm=%v)", inSMM)
}
