package nested

import (
	. "github.com/onsi/ginkgo/v2"
)

// The specs. Their bodies are per architecture (svm_amd64.go; other.go
// skips them elsewhere), their sources and versions are here.
//
// Sources, as read in Linux 6.1 and 6.12 (arch/x86/kvm):
//
//   - svm/nested.c nested_svm_vmrun: L1's VMRUN is emulated by L0; it caches
//     vmcb12, sets nested_run_pending = 1 and calls enter_svm_guest_mode,
//     which copies vmcb12's EVENTINJ into vmcb02
//     (nested_vmcb02_prepare_control) and sets GIF (svm_set_gif, which makes
//     KVM_REQ_EVENT when an interrupt is pending).
//   - svm/nested.c svm_check_nested_events: an interrupt for L1 that L1's
//     INTR intercept turns into #VMEXIT(INTR) (nested_svm_simple_vmexit)
//     is blocked while nested_run_pending (block_nested_events), and the
//     function returns -EBUSY.
//   - x86.c kvm_check_and_inject_events: -EBUSY from the nested check sets
//     *req_immediate_exit; vcpu_enter_guest then makes KVM_REQ_EVENT again
//     and forces an exit right after entry: 6.1 calls
//     kvm_x86_ops.request_immediate_exit = __kvm_request_immediate_exit,
//     smp_send_reschedule(vcpu->cpu), with interrupts disabled; 6.12 passes
//     KVM_RUN_FORCE_IMMEDIATE_EXIT to svm_vcpu_run, which sends the same
//     self-IPI ("Event injection happens before external interrupts cause a
//     vmexit and interrupts are disabled here, so smp_send_reschedule is
//     enough to force an immediate vmexit", svm.c svm_vcpu_run).
//   - svm/svm.c svm_vcpu_run clears nested_run_pending after vmcb02's first
//     run; the host interrupt's exit (SVM_EXIT_INTR) is L0's own
//     (nested_svm_exit_special: NESTED_EXIT_HOST), and the next
//     vcpu_enter_guest's svm_check_nested_events delivers #VMEXIT(INTR) to
//     L1.
//
// First versions: the rule is nVMX's "KVM: nVMX: Add KVM_REQ_IMMEDIATE_EXIT"
// (d6185f20a0ef, Linux 3.1: "We must really launch L2, otherwise certain
// one-off vmcs12 parameters (namely, L1 injection into L2) will be lost").
// nSVM has had this form (svm_check_nested_events with nested_run_pending
// and -EBUSY) since 5.8; until then nSVM set nested.exit_required and left
// for L1 without entering L2 (svm.c nested_svm_intr, svm_vcpu_run in 5.4).
// 6.9 replaced request_immediate_exit with a force_immediate_exit argument
// of the vendor's run (0ec3d6d1f169), since become the run flag
// KVM_RUN_FORCE_IMMEDIATE_EXIT, which 6.12-stable has. It stays internal to
// KVM, so the specs observe it the only way it shows: from L1, through the
// guest's reports.
var _ = Describe("Nested virtualisation: an L1 hypervisor guest (x86 SVM)", Label("nested", "x86"), func() {

	// NEST-1: the race the immediate exit closes. L1 holds interrupts
	// back (GIF = 0, IF = 1), userspace sends it an interrupt (KVM_SIGNAL_MSI
	// to the in-kernel LAPIC), and then L1 executes VMRUN with EVENTINJ
	// set. KVM must enter L2 so that EVENTINJ is delivered (the one-off
	// injection is not lost), then exit L2 again at once: #VMEXIT(INTR) to
	// L1 with L2 having run almost nothing (sources above; nSVM since 5.8).
	It("enters L2 to deliver EVENTINJ, then exits to L1 at once for L1's pending interrupt [NEST-1, Linux 5.8]", Label("NEST-1"), func() {
		specImmediateExitAtVMRUN()
	})

	// NEST-2: an interrupt for L1 while L2 runs is #VMEXIT(INTR) for an L1
	// that intercepts INTR (svm/nested.c svm_check_nested_events,
	// nested_exit_on_intr; V_INTR_MASKING makes L1's IF, saved at VMRUN,
	// the gate: svm/svm.c svm_interrupt_blocked), every time. NEST-2 to
	// NEST-4 run an L1 that injects nothing (EVENTINJ is NEST-1's subject;
	// see newL1 for why the others leave it out).
	It("exits to L1 with #VMEXIT(INTR) when L1's interrupt arrives while L2 spins [NEST-2, Linux 5.8]", Label("NEST-2"), func() {
		specInterruptWhileL2Spins()
	})

	// NEST-3: a kick while L2 runs ends KVM_RUN with EINTR and leaves the
	// vCPU in guest mode (x86.c vcpu_run: kvm_vcpu_exit_request, then
	// xfer_to_guest_mode work: -EINTR, KVM_EXIT_INTR; nothing leaves guest
	// mode on that path), KVM_GET_NESTED_STATE says so
	// (svm/nested.c svm_get_nested_state: KVM_STATE_NESTED_GUEST_MODE while
	// is_guest_mode; Linux 5.10 for SVM), the registers are L2's, and with
	// KVM_CAP_X86_GUEST_MODE kvm_run->flags has KVM_RUN_X86_GUEST_MODE
	// (x86.c post_kvm_run_save, 85542adb65ec, Linux 6.11). The next
	// KVM_RUN resumes L2 where it was, and L1 sees no exit for any of it.
	It("returns EINTR on kicks and immediate_exit while L2 runs, stays in guest mode and resumes L2 [NEST-3, Linux 5.10]", Label("NEST-3"), func() {
		specKicksWhileL2Runs()
	})

	// NEST-4: KVM_GET_NESTED_STATE then KVM_SET_NESTED_STATE of that state
	// in the middle of L2 (svm/nested.c svm_get_nested_state,
	// svm_set_nested_state: svm_leave_nested, then vmcb02 rebuilt from the
	// saved vmcb12 control area and L1's save area, and
	// KVM_REQ_GET_NESTED_STATE_PAGES; Linux 5.10) gives back the same state
	// and L2 goes on where it was, with L1 intact.
	It("round-trips KVM_GET_NESTED_STATE / KVM_SET_NESTED_STATE in the middle of L2, which goes on [NEST-4, Linux 5.10]", Label("NEST-4"), func() {
		specNestedStateRoundTrip()
	})
})
