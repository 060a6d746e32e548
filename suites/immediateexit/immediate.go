package immediateexit

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// expectImmediateExit checks the immediate-exit signature: -1/EINTR.
func expectImmediateExit(m *harness.Machine, v *kvm.VCPU, rr kvm.RunResult, what string) {
	GinkgoHelper()
	Expect(rr.Errno).To(Equal(unix.EINTR), "%s: KVM_RUN with immediate_exit = 1: %s; %s", what, rr, m.State(v))
}

var _ = Describe("immediate_exit on a vCPU with nothing pending", Label("immediate-exit"), harness.ArchLabel(), func() {
	var (
		m *harness.Machine
		v *kvm.VCPU
	)
	BeforeEach(func() {
		sys := harness.OpenKVM()
		a := harness.HostArch()
		m, v = harness.NewMachineVCPU(sys, a, "report", harness.MachineOptions{})
	})

	// IE-1: each architecture's kvm_arch_vcpu_ioctl_run returns -EINTR when
	// immediate_exit is set (since 6.11 sampled once as !wants_to_run in
	// virt/kvm/kvm_main.c kvm_vcpu_ioctl) before entering the guest. The
	// image's first instruction reports, so any guest progress is visible.
	// [4.11, 460df4c1fc7c]
	It("returns EINTR without running the guest, registers unchanged [IE-1]", Label("IE-1"), func() {
		before := m.Arch.Dump(v)
		pc := m.PC(v)
		rr := m.RunImmediate(v)
		expectImmediateExit(m, v, rr, "fresh vCPU")
		_, reported := m.Report(v)
		Expect(reported).To(BeFalse(), "the guest ran to its report: %s", m.State(v))
		pc2 := m.PC(v)
		Expect(pc2).To(Equal(pc), "PC after an immediate exit")
		Expect(m.Arch.Dump(v)).To(Equal(before), "registers after an immediate exit")
		Expect(m.Marker()).To(BeZero(), "guest memory: the marker after the first instruction was written")
	})

	// IE-2 (soft): no architecture writes exit_reason on the immediate path
	// (kernel-semantics §0.1). Documented ABI says nothing, so a change is
	// reported, not failed.
	It("leaves exit_reason as it was (soft check, reported) [IE-2]", Label("IE-2"), func() {
		const sentinel = 0xdeadbeef
		v.Run().SetExitReason(sentinel)
		rr := m.RunImmediate(v)
		expectImmediateExit(m, v, rr, "fresh vCPU")
		if got := v.Run().ExitReason(); got != sentinel {
			AddReportEntry("IE-2 deviation", fmt.Sprintf("the immediate path wrote exit_reason = %d (%s)", got, got))
		} else {
			AddReportEntry("IE-2", "exit_reason untouched by the immediate path")
		}
	})

	// IE-3: the kernel only reads immediate_exit (READ_ONCE); userspace
	// must clear it. [4.11]
	It("leaves immediate_exit set after returning [IE-3]", Label("IE-3"), func() {
		rr := m.RunImmediate(v)
		expectImmediateExit(m, v, rr, "fresh vCPU")
		Expect(v.Run().ImmediateExit()).To(Equal(uint8(1)), "run->immediate_exit after KVM_RUN")
	})

	// IE-4: repeated immediate runs keep returning EINTR and never run the
	// guest; clearing the flag lets the guest run to its report. [4.11]
	It("keeps returning EINTR on repeated immediate runs, and runs the guest once cleared [IE-4]", Label("IE-4"), func() {
		pc := m.PC(v)
		for i := 0; i < 5; i++ {
			expectImmediateExit(m, v, m.RunImmediate(v), fmt.Sprintf("immediate run %d", i+1))
			pc2 := m.PC(v)
			Expect(pc2).To(Equal(pc), "PC after immediate run %d", i+1)
		}
		v.Run().SetImmediateExit(0)
		m.RunToReport(v)
	})
})

// IE-9: arm64 refuses the first KVM_RUN of a vCPU that had no
// KVM_ARM_VCPU_INIT with ENOEXEC, in kvm_arch_vcpu_run_pid_change (called
// from kvm_vcpu_ioctl before the immediate_exit check; older kernels did
// the same check first in kvm_arch_vcpu_ioctl_run). [4.11 at the latest]
var _ = It("fails the first KVM_RUN before KVM_ARM_VCPU_INIT with ENOEXEC, even with immediate_exit [IE-9]", Label("IE-9", "immediate-exit", "arm64"), func() {
	sys := harness.OpenKVM()
	a := harness.RequireArch("arm64")
	vm := harness.CreateVM(sys, a)
	v, err := vm.CreateVCPU(0)
	Expect(err).NotTo(HaveOccurred())
	v.Run().SetImmediateExit(1)
	rr := harness.RunFor(v, harness.RunDeadline())
	Expect(rr.Result).To(Equal(kvm.Fail(unix.ENOEXEC)), "%s", rr)
	rr = harness.RunFor(v, harness.RunDeadline())
	Expect(rr.Result).To(Equal(kvm.Fail(unix.ENOEXEC)), "the pid is not recorded after a failed check, so every KVM_RUN fails: %s", rr)
})
