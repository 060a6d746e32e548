package kick

import (
	"fmt"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// Stress depth: a stress spec stops after 10,000 kicks or 10 s, whichever
// comes first; a stress budget (harness.StressBudget: the QEMU runner's
// for emulated CPUs) replaces the 10 s by its own cap.
const (
	stressKicks    = 10000
	stressDuration = 10 * time.Second
	// probeEvery is how many kicks lie between two probes for a leaked
	// kick: a run with no kick that must last until the watchdog.
	probeEvery = 1000
	// kickDeadline bounds each kicked KVM_RUN: a run still going after
	// it has lost its kick (the watchdog, not the spec, ended it).
	kickDeadline = 2 * time.Second
)

// spinFor busy-waits d, to place a kick at a chosen moment after the run
// started without sleeping (a sleep rounds up to the scheduler's tick).
func spinFor(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// kickPlan is one stress iteration's kick: before KVM_RUN is issued, or
// after a random delay (0-200 µs: around guest entry on current hardware).
type kickPlan struct {
	before bool
	delay  time.Duration
}

func randomPlan(r *rand.Rand) kickPlan {
	return kickPlan{before: r.IntN(4) == 0, delay: time.Duration(r.IntN(200)) * time.Microsecond}
}

// stress runs the spinning guest over and over, ending every KVM_RUN with
// one kick sent by kick at a random moment, and checks every kick ends
// exactly the run it was meant for. after is called after each run. Every
// probeEvery kicks, and after the last, a run without a kick must last
// until the watchdog. Its report entry (harness.StressEntry) says the
// budget and how many kicks it sent.
//
// It stops early when ctx ends (the run is interrupted: SIGINT, SIGTERM,
// a time budget): Ginkgo then waits for the spec to return before its
// cleanup closes the vCPU, so no kick lands on an unmapped kvm_run.
func stress(ctx SpecContext, m *harness.Machine, v *kvm.VCPU, kick func(), after func(i int, rr kvm.RunResult)) int {
	GinkgoHelper()
	r := rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 460))
	loop := harness.NewStressLoop("kicks", stressKicks, stressDuration)
	defer loop.Report()
	probe := func(n int) {
		// No earlier kick may leak into a later run.
		probe := harness.RunFor(v, 50*time.Millisecond)
		if !probe.DeadlinePassed {
			Fail(fmt.Sprintf("after kick %d a run without a kick ended by itself: %s; %s", n, probe, m.State(v)))
		}
		v.Run().SetImmediateExit(0)
	}
	for loop.Next(ctx) {
		n := loop.N() - 1
		plan := randomPlan(r)
		kicked := make(chan struct{})
		if plan.before {
			kick()
			close(kicked)
		} else {
			go func() { spinFor(plan.delay); kick(); close(kicked) }()
		}
		rr := harness.RunFor(v, kickDeadline)
		<-kicked
		if rr.DeadlinePassed || rr.Errno != unix.EINTR {
			Fail(fmt.Sprintf("kick %d (%+v) was lost: %s; %s", n, plan, rr, m.State(v)))
		}
		after(n, rr)
		if n%probeEvery == probeEvery-1 {
			probe(n)
		}
	}
	// A loop cut short by a time cap still ends with a probe, so that
	// every budget checks for a leaked kick at least once.
	if n := loop.N(); n%probeEvery != 0 && ctx.Err() == nil {
		probe(n - 1)
	}
	return loop.N()
}

var _ = Describe("Kicking a vCPU out of KVM_RUN", harness.ArchLabel(), func() {
	var (
		sys *kvm.System
		a   arch.Arch
	)
	BeforeEach(func() {
		sys = harness.OpenKVM()
		a = harness.HostArch()
	})

	Context("with a guest that spins forever", func() {
		var (
			m *harness.Machine
			v *kvm.VCPU
		)
		BeforeEach(func() {
			m, v = harness.NewMachineVCPU(sys, a, "spin", harness.MachineOptions{})
		})

		// The harness's own guarantee: nothing hangs. A spinning guest is
		// stopped by the bounded run's watchdog, which says so.
		It("is stopped by the bounded run's watchdog within its deadline, which reports it", Label("harness"), func() {
			rr := harness.RunFor(v, 200*time.Millisecond)
			Expect(rr.DeadlinePassed).To(BeTrue(), "a spinning guest must outlive its deadline: %s", rr)
			Expect(rr.Stuck).To(BeFalse(), "%s", rr)
			Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
			Expect(v.Run().ImmediateExit()).To(BeZero(), "the watchdog restores immediate_exit")
		})

		// SIG-5: 460df4c1fc7c (Linux 4.11): store immediate_exit, then
		// signal the thread. In the guest, the signal's IPI forces an exit
		// and the run loop returns EINTR with KVM_EXIT_INTR (x86 vcpu_run,
		// arm64 kvm_arch_vcpu_ioctl_run, ...); before entry, the
		// immediate_exit check returns EINTR and leaves exit_reason stale.
		It("returns EINTR promptly when kicked while the guest runs [SIG-5]", Label("SIG-5"), func() {
			v.Run().SetExitReason(0xdeadbeef)
			go func() { time.Sleep(20 * time.Millisecond); v.Kick() }()
			rr := harness.RunFor(v, harness.RunDeadline())
			Expect(rr.DeadlinePassed).To(BeFalse(), "the kick was lost: the watchdog ended the run: %s; %s", rr, m.State(v))
			Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
			if rr.ExitReason == uapi.KVM_EXIT_INTR {
				AddReportEntry("SIG-5 path", "the kick landed in the guest: KVM_EXIT_INTR")
			} else {
				Expect(rr.ExitReason).To(Equal(uapi.ExitReason(0xdeadbeef)), "an immediate exit leaves exit_reason alone")
				AddReportEntry("SIG-5 path", "the kick landed before entry: immediate exit, exit_reason untouched")
			}
		})

		// SIG-6, immediate_exit pattern: kicks at random moments, including
		// before KVM_RUN is issued; each ends exactly one KVM_RUN. [4.11]
		It("never loses a kick that stores immediate_exit and then signals the thread [SIG-6]", Label("SIG-6", "stress"), func(ctx SpecContext) {
			stress(ctx, m, v, func() { v.Kick() }, func(i int, rr kvm.RunResult) {
				Expect(v.Run().ImmediateExit()).To(Equal(uint8(1)), "kick %d: the kernel never clears immediate_exit (IE-3)", i)
				v.Run().SetImmediateExit(0)
			})
		})

		// SIG-6, the classic pattern (QEMU before immediate_exit): the kick
		// signal is blocked in the thread and unblocked only inside KVM_RUN
		// by KVM_SET_SIGNAL_MASK (kvm_sigset_activate); a kick is then
		// either pending at entry or interrupts the guest, and stays pending
		// for the thread to consume. [always]
		It("never loses a kick with the signal blocked in the thread and unblocked by the KVM signal mask [SIG-6]", Label("SIG-6", "signal-mask", "stress"), func(ctx SpecContext) {
			blockInThread(v, kvm.KickSignal)
			Expect(v.SetSignalMask(kvm.DefaultSignalMask()...)).To(Equal(kvm.Result{}))
			stress(ctx, m, v, func() { v.Signal(kvm.KickSignal) }, func(i int, rr kvm.RunResult) {
				Expect(pending(v, kvm.KickSignal)).To(BeTrue(), "kick %d: the kick signal must be pending after KVM_RUN (exactly once)", i)
			})
		})

		// Why immediate_exit exists (460df4c1fc7c): with a flag checked in
		// userspace and a signal that userspace handles, a kick that lands
		// between the check and KVM_RUN is lost. Deterministic: the vCPU's
		// own thread kicks itself after the check, so the signal is
		// delivered to the (Go) handler before KVM_RUN starts.
		It("loses a kick in the naive flag-then-KVM_RUN pattern and keeps it with immediate_exit [SIG-6]", Label("SIG-6"), func() {
			var flag bool
			naive := func(useImmediateExit bool) kvm.RunResult {
				if flag {
					return kvm.RunResult{}
				}
				v.Do(func() { // the kick lands in the window after the check
					flag = true
					if useImmediateExit {
						v.Run().SetImmediateExit(1)
					}
					unix.Tgkill(unix.Getpid(), v.TID(), kvm.KickSignal)
				})
				return harness.RunFor(v, 300*time.Millisecond)
			}
			rr := naive(false)
			Expect(rr.DeadlinePassed).To(BeTrue(), "without immediate_exit the kick should have been lost: %s", rr)
			flag = false
			rr = naive(true)
			Expect(rr.DeadlinePassed).To(BeFalse(), "with immediate_exit the kick must end the run: %s", rr)
			Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
			v.Run().SetImmediateExit(0)
		})
	})

	// SIG-7: with an in-kernel LAPIC, HLT is skipped first and the vCPU
	// blocks as HALTED (__kvm_emulate_halt); a signal wakes vcpu_block
	// without changing the activity state, so KVM_RUN returns EINTR with
	// KVM_EXIT_INTR and GET_MP_STATE still says HALTED. [3.10 or earlier]
	It("kicks a vCPU out of cli;hlt with KVM_EXIT_INTR, leaving it HALTED past the HLT [SIG-7]", Label("SIG-7", "x86"), func() {
		harness.RequireArch("x86")
		m, v := harness.NewMachineVCPU(sys, a, "cli-hlt", harness.MachineOptions{IRQChip: true})
		rr := harness.RunFor(v, 300*time.Millisecond)
		Expect(rr.DeadlinePassed).To(BeTrue(), "cli;hlt must block until the kick: %s; %s", rr, m.State(v))
		Expect(rr.Interrupted()).To(BeTrue(), "a signal while halted gives EINTR + KVM_EXIT_INTR: %s", rr)
		Expect(m.MPState(v)).To(Equal(uapi.KVM_MP_STATE_HALTED), "mp_state after the kick")
		m.ExpectPC(v, "after", "RIP after the kick: past the HLT (hlt_insn + 1)")
		rr = harness.RunFor(v, 200*time.Millisecond)
		Expect(rr.DeadlinePassed).To(BeTrue(), "re-entering a HALTED vCPU blocks again: %s", rr)
	})

	// SIG-8: without an in-kernel LAPIC, HLT exits to userspace
	// (__kvm_emulate_halt: KVM_EXIT_HLT) and the vCPU stays RUNNABLE.
	It("exits with KVM_EXIT_HLT on HLT without an in-kernel irqchip [SIG-8]", Label("SIG-8", "x86"), func() {
		harness.RequireArch("x86")
		m, v := harness.NewMachineVCPU(sys, a, "halt", harness.MachineOptions{})
		m.RunToExit(v, uapi.KVM_EXIT_HLT)
		Expect(m.MPState(v)).To(Equal(uapi.KVM_MP_STATE_RUNNABLE), "mp_state after KVM_EXIT_HLT")
	})

	// SIG-9: arm64 WFI blocks in kvm_vcpu_wfi without changing mp_state; a
	// signal gives KVM_EXIT_INTR and the vCPU stays RUNNABLE. [always]
	It("kicks a vCPU out of WFI with KVM_EXIT_INTR, leaving it RUNNABLE [SIG-9]", Label("SIG-9", "arm64"), func() {
		harness.RequireArch("arm64")
		m, v := harness.NewMachineVCPU(sys, a, "halt", harness.MachineOptions{})
		rr := harness.RunFor(v, 300*time.Millisecond)
		Expect(rr.DeadlinePassed).To(BeTrue(), "WFI must block until the kick: %s; %s", rr, m.State(v))
		Expect(rr.Interrupted()).To(BeTrue(), "%s", rr)
		Expect(m.MPState(v)).To(Equal(uapi.KVM_MP_STATE_RUNNABLE), "arm64 has no HALTED state")
	})
})
