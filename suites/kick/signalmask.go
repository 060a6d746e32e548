package kick

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

// testSignal is the signal the signal-mask specs send. It is the kick
// signal: the Go runtime drops it when it is delivered outside KVM_RUN (no
// os/signal.Notify), and Ginkgo does not use it.
const testSignal = kvm.KickSignal

// blockInThread blocks sig in the vCPU thread's own mask (rt_sigprocmask on
// that thread) for the rest of the spec.
func blockInThread(v *kvm.VCPU, sig unix.Signal) {
	GinkgoHelper()
	var old []byte
	var err error
	v.Do(func() {
		cur, e := kvm.ThreadSigmask(unix.SIG_BLOCK, nil)
		if e != nil {
			err = e
			return
		}
		old = cur
		_, err = kvm.ThreadSigmask(unix.SIG_BLOCK, kvm.Sigset(sig))
	})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		v.Do(func() {
			kvm.SigtimedwaitZero(sig)
			kvm.ThreadSigmask(unix.SIG_SETMASK, old)
		})
	})
}

// threadMask reads the vCPU thread's own signal mask.
func threadMask(v *kvm.VCPU) []byte {
	GinkgoHelper()
	var mask []byte
	var err error
	v.Do(func() { mask, err = kvm.ThreadSigmask(unix.SIG_BLOCK, nil) })
	Expect(err).NotTo(HaveOccurred())
	return mask
}

// pending consumes sig on the vCPU thread and reports whether it was
// pending there.
func pending(v *kvm.VCPU, sig unix.Signal) bool {
	var was bool
	v.Do(func() { was = kvm.SigtimedwaitZero(sig) })
	return was
}

var _ = Describe("KVM_SET_SIGNAL_MASK", Label("signal-mask"), harness.ArchLabel(), func() {
	var (
		sys *kvm.System
		a   arch.Arch
	)
	BeforeEach(func() {
		sys = harness.OpenKVM()
		a = harness.HostArch()
	})

	// SIG-1: virt/kvm/kvm_main.c kvm_vcpu_ioctl, KVM_SET_SIGNAL_MASK: a
	// NULL argument clears the mask; otherwise len must be
	// sizeof(sigset_t) of the kernel (8; 16 on MIPS) or EINVAL. [always]
	It("accepts exactly the kernel's sigset size, rejects other lengths with EINVAL, and clears with NULL [SIG-1]", Label("SIG-1"), func() {
		vm := harness.CreateVM(sys, a)
		v, err := vm.CreateVCPU(0)
		Expect(err).NotTo(HaveOccurred())
		set := make([]byte, 32)
		Expect(v.SetSignalMaskRaw(uint32(kvm.KernelSigsetSize), set)).To(Equal(kvm.Result{}),
			"len = %d, the kernel's sizeof(sigset_t)", kvm.KernelSigsetSize)
		for _, n := range []uint32{0, 4, 7, uint32(kvm.KernelSigsetSize) - 1, uint32(kvm.KernelSigsetSize) + 1, uint32(2 * kvm.KernelSigsetSize), 128} {
			Expect(v.SetSignalMaskRaw(n, set)).To(Equal(kvm.Fail(unix.EINVAL)), "KVM_SET_SIGNAL_MASK len = %d", n)
		}
		Expect(v.ClearSignalMask()).To(Equal(kvm.Result{}), "KVM_SET_SIGNAL_MASK(NULL)")
	})

	Context("with a guest whose first exit is a report", func() {
		var (
			m *harness.Machine
			v *kvm.VCPU
		)
		BeforeEach(func() {
			m, v = harness.NewMachineVCPU(sys, a, "report", harness.MachineOptions{})
		})

		// SIG-2: a signal pending and unblocked at entry ends KVM_RUN with
		// EINTR and KVM_EXIT_INTR before the guest runs (the generic
		// xfer_to_guest_mode work handling: x86 vcpu_run, arm64, riscv,
		// loongarch run loops; Book3S HV kvmppc_vcpu_run_hv). The kernel
		// does not consume the signal: it is still pending after the call.
		It("returns EINTR with KVM_EXIT_INTR, before the first guest instruction, when an unblocked signal is pending at entry [SIG-2]", Label("SIG-2"), func() {
			f := a.Signals()
			if !f.SeenBeforeGuest && !f.OlderKernelsDiffer {
				Skip(fmt.Sprintf("architecture: %s checks for a pending signal only after a guest exit, so the guest runs first (%s)", a.Name(), f.Source))
			}
			blockInThread(v, testSignal)
			Expect(v.SetSignalMask()).To(Equal(kvm.Result{}), "KVM signal mask: nothing blocked")
			Expect(v.Signal(testSignal)).To(Succeed())
			v.Run().SetExitReason(0xdeadbeef)
			rr := m.Run(v)
			_, reported := m.Report(v)
			before := rr.Interrupted() && !reported && m.Marker() == 0
			if f.OlderKernelsDiffer {
				// Kernels before f.Source.Since let the guest run to
				// its first exit: accept both, and say which ran.
				AddReportEntry("SIG-2 behaviour", fmt.Sprintf("stopped before the guest: %v (%s)", before, f.Source))
				if !before {
					// The older behaviour: the guest ran to its first
					// exit, which KVM_RUN returned or ended with EINTR.
					Expect(rr.DeadlinePassed).To(BeFalse(), "KVM_RUN with a pending unblocked signal: %s; %s", rr, m.State(v))
					Expect(rr.Interrupted() || reported).To(BeTrue(), "KVM_RUN with a pending unblocked signal ended neither with EINTR nor at the guest's exit: %s; %s", rr, m.State(v))
				}
			} else {
				Expect(rr.Interrupted()).To(BeTrue(), "KVM_RUN with a pending unblocked signal: %s; %s (%s)", rr, m.State(v), f.Source)
				Expect(reported).To(BeFalse(), "the guest ran to its report (%s)", f.Source)
				Expect(m.Marker()).To(BeZero(), "the guest ran past its first instruction (%s)", f.Source)
			}
			Expect(pending(v, testSignal)).To(BeTrue(), "the signal is still pending for the thread after KVM_RUN")
		})

		// SIG-3: a signal blocked by the KVM mask is ignored during KVM_RUN
		// (kvm_sigset_activate swaps the thread's blocked set for the KVM
		// mask): the guest runs to its natural exit and the signal stays
		// pending. [always]
		It("lets the guest run to its exit when the pending signal is blocked by the KVM mask, leaving it pending [SIG-3]", Label("SIG-3"), func() {
			blockInThread(v, testSignal)
			Expect(v.SetSignalMask(kvm.AllSignalsExcept()...)).To(Equal(kvm.Result{}), "KVM signal mask: everything blocked")
			Expect(v.Signal(testSignal)).To(Succeed())
			Expect(m.RunToReport(v)).To(Equal(uint32(guests.ReportHello)), "report value")
			Expect(pending(v, testSignal)).To(BeTrue(), "the signal blocked by the KVM mask is still pending after KVM_RUN")
		})

		// SIG-4: kvm_sigset_deactivate restores the thread's own mask when
		// KVM_RUN returns. [always]
		It("restores the thread's own signal mask after KVM_RUN [SIG-4]", Label("SIG-4"), func() {
			blockInThread(v, unix.SIGWINCH)
			before := threadMask(v)
			Expect(v.SetSignalMask(unix.SIGURG)).To(Equal(kvm.Result{}), "a KVM mask that differs from the thread's")
			m.RunToReport(v)
			Expect(threadMask(v)).To(Equal(before), "the thread's signal mask after KVM_RUN")
		})
	})
})

var _ = uapi.KVM_EXIT_INTR
