//go:build s390x

package immediateexit

import (
	"encoding/binary"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch/s390x"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// These specs have only been compiled and vetted: no s390x KVM host was
// available (QEMU TCG does not implement SIE). They follow
// arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_ioctl_run as kernel-semantics.md
// §2.5 reads it.

func s390Machine() (*harness.Machine, *kvm.VCPU) {
	GinkgoHelper()
	sys := harness.OpenKVM()
	a := harness.RequireArch("s390x")
	return harness.NewMachineVCPU(sys, a, "report", harness.MachineOptions{})
}

var _ = Describe("s390x immediate_exit", Label("immediate-exit", "s390x"), func() {
	// IE-7: on s390 the immediate_exit check is the first real one in
	// kvm_arch_vcpu_ioctl_run, before the kvm_valid_regs/kvm_dirty_regs
	// validation and before sync_regs: invalid mask bits still give EINTR,
	// and dirty sync regs are not consumed. [4.11]
	It("returns EINTR before validating or applying sync regs [IE-7]", Label("IE-7"), func() {
		m, v := s390Machine()
		before := m.Reg(v, "r2")
		run := v.Run()
		// kvm_sync_regs: __u64 prefix, then __u64 gprs[16].
		binary.NativeEndian.PutUint64(run.SyncRegs()[8+2*8:], before^0x5a5a)
		run.SetValidRegs(1 << 63)
		run.SetDirtyRegs(s390x.KVM_SYNC_GPRS)
		run.SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "immediate run with invalid kvm_valid_regs bits: %s", rr)
		run.SetValidRegs(0)
		run.SetDirtyRegs(0)
		after := m.Reg(v, "r2")
		Expect(after).To(Equal(before), "r2: dirty sync regs must not be applied by an immediate exit")
	})

	// IE-10: the first KVM_SET_MP_STATE switches the VM to user CPU-state
	// control (kvm_arch_vcpu_ioctl_set_mpstate, user_cpu_state_ctrl); then
	// KVM_RUN on a STOPPED vCPU gives EINVAL, but the immediate_exit check
	// comes first, so an immediate run still gives EINTR. [4.11]
	It("gives EINTR to an immediate run and EINVAL to a normal run of a user-STOPPED vCPU [IE-10]", Label("IE-10", "mp-state"), func() {
		m, v := s390Machine()
		Expect(v.SetMPState(uapi.KVM_MP_STATE_STOPPED)).To(Equal(kvm.Result{}), "KVM_SET_MP_STATE(STOPPED)")
		rr := m.RunImmediateEINTR(v, "immediate run of a STOPPED vCPU")
		v.Run().SetImmediateExit(0)
		rr = m.Run(v)
		Expect(rr.Result).To(Equal(kvm.Fail(unix.EINVAL)), "normal run of a STOPPED vCPU under user CPU-state control: %s", rr)
	})
})
