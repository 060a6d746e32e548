package mpstate

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// archFacts returns the host architecture and its mp_state facts (arch/
// <name>/facts.go, kernel-semantics.md §4).
func archFacts() (arch.Arch, arch.MPStateFacts) {
	GinkgoHelper()
	a := harness.HostArch()
	return a, a.MPState()
}

// getMPState checks one KVM_GET_MP_STATE against the facts: the state in
// the struct, the state as the ioctl's return value (s390: the struct is
// left as it was), or the errno of an architecture without the ioctl.
func getMPState(v *kvm.VCPU, f arch.MPStateFacts, want uapi.MPState, why string) {
	GinkgoHelper()
	st, r := v.GetMPState(sentinel)
	switch {
	case !f.Supported:
		Expect(r).To(Equal(kvm.Fail(f.UnsupportedErrno)), "KVM_GET_MP_STATE on an architecture without it (%s)", f.Source)
	case f.GetReturnsState:
		Expect(r).To(Equal(kvm.Result{Ret: uintptr(want)}), "KVM_GET_MP_STATE returns the state as its value: %s (%s)", why, f.Source)
		Expect(st).To(Equal(uapi.MPState(sentinel)), "struct kvm_mp_state left unwritten (%s)", f.Source)
	default:
		Expect(r).To(Equal(kvm.Result{}), "KVM_GET_MP_STATE (%s)", f.Source)
		Expect(st).To(Equal(want), "mp_state %s, want %s: %s (%s)", mpName(st), mpName(want), why, f.Source)
	}
}

var _ = Describe("mp_state on this architecture", harness.ArchLabel(), func() {
	// MP-A1 (arm64 kvm_arch_vcpu_ioctl_vcpu_init), MP-R1 (riscv
	// kvm_arch_vcpu_postcreate: vCPU 1 STOPPED, 5.16), MP-L1, MP-S1 (s390
	// returns the state as the ioctl value, ≈3.19-6.18), MP-M1 (mips
	// ENOTTY), MP-P1 (powerpc EINVAL) and MP-X1 without an irqchip (x86
	// kvm_arch_vcpu_create: RUNNABLE, 2.6.26).
	It("reports the initial state of the first and second vCPU [MP-A1, MP-R1, MP-L1, MP-S1, MP-M1, MP-P1, MP-X1]", Label("MP-A1", "MP-R1", "MP-L1", "MP-S1", "MP-M1", "MP-P1", "MP-X1"), func() {
		sys := harness.OpenKVM()
		a, f := archFacts()
		vm := harness.CreateVM(sys, a)
		for id, want := range []uapi.MPState{f.InitialFirst, f.InitialSecond} {
			v, err := vm.CreateVCPU(uint32(id))
			Expect(err).NotTo(HaveOccurred())
			Expect(a.InitVCPU(v, arch.InitOptions{})).To(Succeed())
			getMPState(v, f, want, fmt.Sprintf("initial state of vCPU %d", id))
		}
		if f.PowerOffAtInit {
			v, err := vm.CreateVCPU(2)
			Expect(err).NotTo(HaveOccurred())
			Expect(a.InitVCPU(v, arch.InitOptions{PowerOff: true})).To(Succeed())
			getMPState(v, f, f.InitialPoweredOff, "initialised powered off")
		}
	})

	// MP-A2 (arm64: RUNNABLE, STOPPED, SUSPENDED from 5.19, else EINVAL),
	// MP-R1 (riscv: RUNNABLE, STOPPED; INIT_RECEIVED only with
	// KVM_CAP_RISCV_MP_STATE_RESET), MP-L1, MP-S2 (s390: ENXIO), MP-M1,
	// MP-P1, MP-X3 without an in-kernel LAPIC (x86: RUNNABLE only): the
	// errno of KVM_SET_MP_STATE for every value.
	It("accepts exactly the documented KVM_SET_MP_STATE values [MP-A2, MP-R1, MP-L1, MP-S2, MP-M1, MP-P1, MP-X3]", Label("MP-A2", "MP-R1", "MP-L1", "MP-S2", "MP-M1", "MP-P1", "MP-X3"), func() {
		sys := harness.OpenKVM()
		a, f := archFacts()
		vm := harness.CreateVM(sys, a)
		v, err := vm.CreateVCPU(0)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.InitVCPU(v, arch.InitOptions{})).To(Succeed())
		// Every defined value (KVM_MP_STATE_RUNNABLE..SUSPENDED), so each
		// architecture's own invalid ones are tried, and values past the
		// end of the enum.
		var states []uapi.MPState
		for s := uapi.KVM_MP_STATE_RUNNABLE; s <= uapi.KVM_MP_STATE_SUSPENDED; s++ {
			states = append(states, s)
		}
		for _, state := range append(states, undefinedMPStates...) {
			want := kvm.Result{}
			if e := f.SetErrno(state); e != 0 {
				want = kvm.Fail(e)
			}
			Expect(v.SetMPState(state)).To(Equal(want), "KVM_SET_MP_STATE(%s) (%s)", mpName(state), f.Source)
		}
	})

	// MP-A3 (arm64): a STOPPED vCPU sleeps in KVM_RUN (kvm_vcpu_sleep); a
	// signal gives EINTR with KVM_EXIT_INTR and the state stays STOPPED.
	It("keeps a STOPPED vCPU out of the guest until a signal, which leaves it STOPPED [MP-A3]", Label("MP-A3", "arm64"), func() {
		sys := harness.OpenKVM()
		harness.RequireArch("arm64")
		a, f := archFacts()
		m := harness.NewMachine(sys, a, "report", harness.MachineOptions{})
		v := m.AddVCPU(0, arch.InitOptions{PowerOff: true})
		getMPState(v, f, uapi.KVM_MP_STATE_STOPPED, "initialised powered off")
		rr := harness.RunFor(v, 300*time.Millisecond)
		Expect(rr.DeadlinePassed).To(BeTrue(), "a STOPPED vCPU ran: %s; %s", rr, m.State(v))
		Expect(rr.Interrupted()).To(BeTrue(), "%s", rr)
		getMPState(v, f, uapi.KVM_MP_STATE_STOPPED, "after the signal")
		Expect(v.SetMPState(uapi.KVM_MP_STATE_RUNNABLE)).To(Equal(kvm.Result{}))
		Expect(m.RunToReport(v)).To(BeNumerically(">", 0), "a RUNNABLE vCPU runs to its report")
	})
})
