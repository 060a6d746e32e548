//go:build amd64

package immediateexit_test

import (
	"encoding/binary"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch/x86"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// x86Machine builds a machine for an x86 scenario with vCPU 0 at its entry.
func x86Machine(scenario string, opts harness.MachineOptions) (*harness.Machine, *kvm.VCPU) {
	GinkgoHelper()
	sys := harness.OpenKVM()
	a := harness.RequireArch("x86")
	return harness.NewMachineVCPU(sys, a, scenario, opts)
}

func regs(v *kvm.VCPU) *x86.Regs {
	GinkgoHelper()
	r, err := x86.GetRegs(v)
	Expect(err).NotTo(HaveOccurred())
	return r
}

var _ = Describe("x86 immediate_exit details", Label("immediate-exit", "x86"), func() {
	// IE-6: x86 validates the sync-register masks before the
	// immediate_exit check in kvm_arch_vcpu_ioctl_run: any bit outside
	// KVM_SYNC_X86_VALID_FIELDS, in either 64-bit mask, gives EINVAL, not
	// EINTR. [4.17, KVM_CAP_SYNC_REGS] Kernels with 74c1807f6c4f ("block
	// KVM_CAP_SYNC_REGS if guest state is protected", 6.14, in stable)
	// but without its fix (sync_valid_fields widened from u32 to u64, Dan
	// Carpenter) check only bits 0-31: bit 63 then slips through.
	DescribeTable("rejects invalid sync-register bits before the immediate exit [IE-6]", Label("IE-6"),
		func(dirty bool, bit uint) {
			m, v := x86Machine("report", harness.MachineOptions{})
			harness.RequireCap(m.Sys, m.VM, uapi.KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS")
			// A first, ordinary run to the guest's report: the VM's first
			// KVM_RUN also does one-time set-up (kvm_mmu_post_init_vm since
			// 6.12-stable), which is not what this spec checks.
			m.RunToReport(v)
			run := v.Run()
			mask := "kvm_valid_regs"
			if dirty {
				mask = "kvm_dirty_regs"
				run.SetDirtyRegs(1 << bit)
			} else {
				run.SetValidRegs(1 << bit)
			}
			run.SetImmediateExit(1)
			rr := m.Run(v)
			run.SetValidRegs(0)
			run.SetDirtyRegs(0)
			Expect(rr.Result).To(Equal(kvm.Fail(unix.EINVAL)), "%s = 1<<%d with immediate_exit: %s", mask, bit, rr)
		},
		Entry("kvm_valid_regs bit 3", false, uint(3)),
		Entry("kvm_dirty_regs bit 3", true, uint(3)),
		Entry("kvm_valid_regs bit 63", false, uint(63)),
		Entry("kvm_dirty_regs bit 63", true, uint(63)),
	)

	// IE-6: valid dirty sync regs are applied (sync_regs) before the
	// immediate_exit check, and their dirty bit cleared. [4.17]
	It("applies dirty sync regs despite the immediate exit [IE-6]", Label("IE-6"), func() {
		m, v := x86Machine("report", harness.MachineOptions{})
		harness.RequireCap(m.Sys, m.VM, uapi.KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS")
		m.RunToReport(v)
		run := v.Run()
		run.SetImmediateExit(1)
		run.SetValidRegs(x86.KVM_SYNC_X86_REGS)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		// kvm_run.s.regs is a struct kvm_regs at the start of the sync area.
		sync := run.SyncRegs()
		const rbxOff = 8
		binary.LittleEndian.PutUint64(sync[rbxOff:], 0xfeedface)
		run.SetDirtyRegs(x86.KVM_SYNC_X86_REGS)
		rr = m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		run.SetValidRegs(0)
		Expect(regs(v).Rbx).To(Equal(uint64(0xfeedface)), "RBX from the dirty sync regs, applied despite the immediate exit")
		Expect(run.DirtyRegs()&x86.KVM_SYNC_X86_REGS).To(BeZero(), "the kernel clears the dirty bit it applied")
	})

	// IE-8: post_kvm_run_save refreshes apic_base, if_flag, cr8 and
	// ready_for_interrupt_injection on the immediate path too: with an
	// in-kernel LAPIC apic_base is 0xFEE00900 on the BSP. [4.11]
	It("refreshes run->apic_base on the immediate path [IE-8]", Label("IE-8"), func() {
		m, v := x86Machine("report", harness.MachineOptions{IRQChip: true})
		run := v.Run()
		binary.NativeEndian.PutUint64(run.Bytes()[uapi.OffRunApicBase:], 0)
		run.SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		Expect(run.ApicBase()).To(Equal(uint64(0xfee00900)), "run->apic_base of the BSP after an immediate exit")
	})
})

var _ = Describe("x86 completion of pending exits", Label("completion", "immediate-exit", "x86"), func() {
	// CMP-1, CMP-2: complete_fast_pio_in merges a 1- or 2-byte IN into the
	// low bits of RAX and zero-extends a 4-byte one, then skips the
	// instruction; during the exit RIP is still at the IN (5.1,
	// 45def77ebf79). complete_fast_pio_out only skips. Both run before the
	// immediate_exit check. [4.11; 5.1 for the RIP deferral]
	DescribeTable("completes port I/O before the immediate exit [CMP-1, CMP-2]",
		func(scenario string, dir uint8, size int) {
			m, v := x86Machine(scenario, harness.MachineOptions{})
			m.RunToExit(v, uapi.KVM_EXIT_IO)
			io := v.Run().IO()
			Expect([]uint64{uint64(io.Direction), uint64(io.Size), uint64(io.Port), uint64(io.Count)}).To(
				Equal([]uint64{uint64(dir), uint64(size), m.Sym("PIO_PORT"), 1}), "io{direction, size, port, count}")
			Expect(regs(v).Rip).To(Equal(m.Sym("insn")), "RIP during the pending I/O exit (CMP-2)")
			data, err := v.Run().IOData()
			Expect(err).NotTo(HaveOccurred())
			before := regs(v).Rax
			if dir == uapi.KVM_EXIT_IO_IN {
				copy(data, []byte{0x81, 0x92, 0xa3, 0xb4})
			} else {
				var want [4]byte
				binary.LittleEndian.PutUint32(want[:], guests.StoreValue)
				Expect(data).To(Equal(want[:size]), "OUT data")
			}
			v.Run().SetImmediateExit(1)
			rr := m.Run(v)
			Expect(rr.Errno).To(Equal(unix.EINTR), "%s; %s", rr, m.State(v))
			r := regs(v)
			Expect(r.Rip).To(Equal(m.Sym("after")), "RIP after completion")
			if dir == uapi.KVM_EXIT_IO_IN {
				want := map[int]uint64{1: before&^0xff | 0x81, 2: before&^0xffff | 0x9281, 4: 0xb4a39281}[size]
				Expect(r.Rax).To(Equal(want), "RAX after a %d-byte IN completed (before: %#x)", size, before)
			}
			Expect(m.Marker()).To(BeZero(), "the marker after the I/O instruction")
			rr = m.Run(v)
			Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
			Expect(regs(v).Rip).To(Equal(m.Sym("after")), "RIP after a second immediate run (CMP-13)")
			v.Run().SetImmediateExit(0)
			Expect(m.RunToReport(v)).To(Equal(uint32(guests.ReportDone)))
		},
		Entry("inb", Label("CMP-1", "CMP-2"), "pio-in-b", uint8(uapi.KVM_EXIT_IO_IN), 1),
		Entry("inw", Label("CMP-1", "CMP-2"), "pio-in-w", uint8(uapi.KVM_EXIT_IO_IN), 2),
		Entry("inl", Label("CMP-1", "CMP-2"), "pio-in-l", uint8(uapi.KVM_EXIT_IO_IN), 4),
		Entry("outb", Label("CMP-2"), "pio-out-b", uint8(uapi.KVM_EXIT_IO_OUT), 1),
		Entry("outw", Label("CMP-2"), "pio-out-w", uint8(uapi.KVM_EXIT_IO_OUT), 2),
		Entry("outl", Label("CMP-2"), "pio-out-l", uint8(uapi.KVM_EXIT_IO_OUT), 4),
	)

	// CMP-3: complete_fast_pio_in drops the completion when userspace moved
	// RIP during the exit (kvm_is_linear_rip against cui_linear_rip, 5.1):
	// RAX keeps its value and the new RIP stays.
	It("drops a PIO IN completion when userspace moved RIP [CMP-3]", Label("CMP-3"), func() {
		m, v := x86Machine("pio-in-b", harness.MachineOptions{})
		m.RunToExit(v, uapi.KVM_EXIT_IO)
		data, err := v.Run().IOData()
		Expect(err).NotTo(HaveOccurred())
		data[0] = 0x81
		r := regs(v)
		before := r.Rax
		r.Rip = m.Sym("_start")
		Expect(x86.SetRegs(v, r)).To(Succeed())
		v.Run().SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		r = regs(v)
		Expect(r.Rip).To(Equal(m.Sym("_start")), "RIP set by userspace during the exit")
		Expect(r.Rax).To(Equal(before), "RAX: the IN completion must be dropped")
	})

	// String port input goes through the emulator, not the fast path:
	// pio_in_emulated (emulator.c) reads ahead min(RCX, bytes left in the
	// page, 1024 / size) items in one KVM_EXIT_IO, with RIP still at the
	// INS. complete_emulated_pio re-enters the emulator before the
	// immediate_exit check; a forward REP INS stores every item read
	// ahead at once and subtracts their count from RCX, and because the
	// read-ahead buffer is then empty x86_emulate_insn skips the RIP
	// writeback ("re-enter guest when pio read ahead buffer is empty"):
	// RIP stays at the INS, now with RCX = 0, and the guest's own
	// re-execution of the REP ends it. [4.11; the whole-buffer store since
	// 3.7, "KVM: emulator: optimize rep ins handling"]
	It("completes an emulated REP INSB before the immediate exit, exactly once [CMP-13]", Label("CMP-13", "string-io"), func() {
		m, v := x86Machine("pio-rep-insb", harness.MachineOptions{})
		m.RunToExit(v, uapi.KVM_EXIT_IO)
		io := v.Run().IO()
		n := m.Sym("BUF_LEN")
		Expect([]uint64{uint64(io.Direction), uint64(io.Size), uint64(io.Port), uint64(io.Count)}).To(
			Equal([]uint64{uapi.KVM_EXIT_IO_IN, 1, m.Sym("PIO_PORT"), n}), "io{direction, size, port, count}: one exit for the whole REP (read-ahead)")
		Expect(regs(v).Rip).To(Equal(m.Sym("insn")), "RIP during the pending string I/O exit")
		data, err := v.Run().IOData()
		Expect(err).NotTo(HaveOccurred())
		in := []byte{0xa1, 0xb2, 0xc3, 0xd4}
		copy(data, in)

		v.Run().SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s; %s", rr, m.State(v))
		buf, err := m.VM.ReadGuest(m.Sym("buf"), int(n))
		Expect(err).NotTo(HaveOccurred())
		Expect(buf).To(Equal(in), "`buf` after completion")
		r := regs(v)
		Expect([]uint64{r.Rip, r.Rcx & 0xffff, r.Rdi & 0xffff}).To(Equal([]uint64{m.Sym("insn"), 0, m.Sym("buf") + n}),
			"RIP, CX and DI after completion: every item stored, RIP left at the INS for the guest to end the REP")
		Expect(m.Marker()).To(BeZero(), "the code after the INSB ran during the immediate exit")

		copy(data, []byte{0xee, 0xee, 0xee, 0xee}) // a second completion would store these
		rr = m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		buf, err = m.VM.ReadGuest(m.Sym("buf"), int(n))
		Expect(err).NotTo(HaveOccurred())
		Expect(buf).To(Equal(in), "`buf` after a second immediate run: completed twice")
		Expect(regs(v).Rip).To(Equal(m.Sym("insn")), "RIP after a second immediate run")

		v.Run().SetImmediateExit(0)
		Expect(m.RunToReport(v)).To(Equal(uint32(guests.ReportDone)), "the guest ends the REP (CX = 0) without another exit")
		Expect(m.Marker()).To(Equal(guests.MarkerValue))
	})

	// x86 MMIO write: the emulator writes back and advances RIP before the
	// exit (kernel-semantics §2.1), so RIP is already past the store during
	// the exit and the immediate run has nothing to complete. [4.11]
	It("reports an MMIO write with RIP already past the store [CMP-4]", Label("CMP-4"), func() {
		m, v := x86Machine("mmio-store", harness.MachineOptions{})
		m.RunToExit(v, uapi.KVM_EXIT_MMIO)
		mm := v.Run().MMIO()
		Expect(mm.IsWrite).To(BeTrue())
		Expect(mm.PhysAddr).To(Equal(m.Layout.MMIOBase))
		Expect(binary.LittleEndian.Uint32(mm.Data[:4])).To(Equal(guests.StoreValue), "mmio.data")
		Expect(regs(v).Rip).To(Equal(m.Sym("after")), "RIP during a (non-split) MMIO write exit")
		v.Run().SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		Expect(regs(v).Rip).To(Equal(m.Sym("after")))
		Expect(m.Marker()).To(BeZero())
	})

	// CMP-5: complete_emulated_mmio splits a page-crossing access into
	// fragments; completing the first returns 0 with a new KVM_EXIT_MMIO
	// for the next one even with immediate_exit set; the last completes
	// the load, and only then does the immediate exit return EINTR. [4.11]
	It("returns 0 with the next fragment before EINTR for a page-crossing MMIO read [CMP-5]", Label("CMP-5"), func() {
		m, v := x86Machine("mmio-split", harness.MachineOptions{})
		m.RunToExit(v, uapi.KVM_EXIT_MMIO)
		first := v.Run().MMIO()
		Expect([]uint64{first.PhysAddr, uint64(first.Len)}).To(Equal([]uint64{m.Layout.MMIOBase + 0xffe, 2}), "first fragment {addr, len}")
		v.Run().SetMMIOData([]byte{0x81, 0x92})
		v.Run().SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Result).To(Equal(kvm.Result{}), "completing the first fragment with immediate_exit: %s; %s", rr, m.State(v))
		Expect(rr.ExitReason).To(Equal(uint32(uapi.KVM_EXIT_MMIO)), "%s", m.State(v))
		second := v.Run().MMIO()
		Expect([]uint64{second.PhysAddr, uint64(second.Len)}).To(Equal([]uint64{m.Layout.MMIOBase + 0x1000, 2}), "second fragment {addr, len}")
		Expect(regs(v).Rip).To(Equal(m.Sym("insn")), "RIP while fragments are pending")
		v.Run().SetMMIOData([]byte{0xa3, 0xb4})
		rr = m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "completing the last fragment: %s; %s", rr, m.State(v))
		r := regs(v)
		Expect(r.Rax).To(Equal(uint64(0xb4a39281)), "EAX assembled from both fragments")
		Expect(r.Rip).To(Equal(m.Sym("after")))
		Expect(m.Marker()).To(BeZero())
	})

	// CMP-6: with KVM_CAP_X86_USER_SPACE_MSR (KVM_MSR_EXIT_REASON_UNKNOWN)
	// an RDMSR of an MSR KVM does not know exits with KVM_EXIT_X86_RDMSR;
	// complete_userspace_rdmsr writes EDX:EAX and skips RDMSR before the
	// immediate_exit check. [5.10]
	It("completes a userspace RDMSR before the immediate exit [CMP-6]", Label("CMP-6"), func() {
		m, v := x86Machine("rdmsr-unknown", harness.MachineOptions{})
		harness.RequireCap(m.Sys, m.VM, uapi.KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR")
		Expect(m.VM.EnableCap(uapi.KVM_CAP_X86_USER_SPACE_MSR, uapi.KVM_MSR_EXIT_REASON_UNKNOWN)).To(Equal(kvm.Result{}))
		m.RunToExit(v, uapi.KVM_EXIT_X86_RDMSR)
		msr := v.Run().MSR()
		Expect(uint64(msr.Index)).To(Equal(m.Sym("UNKNOWN_MSR")), "msr.index")
		Expect(msr.Reason).To(Equal(uint32(uapi.KVM_MSR_EXIT_REASON_UNKNOWN)), "msr.reason")
		v.Run().SetMSRResult(0, 0x0123456789abcdef)
		v.Run().SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s; %s", rr, m.State(v))
		r := regs(v)
		Expect([]uint64{r.Rdx, r.Rax}).To(Equal([]uint64{0x01234567, 0x89abcdef}), "EDX:EAX after the RDMSR completion")
		Expect(r.Rip).To(Equal(m.Sym("after")), "RIP past RDMSR")
		Expect(m.Marker()).To(BeZero())
	})

	// CMP-7: with KVM_CAP_EXIT_HYPERCALL bit 12, KVM_HC_MAP_GPA_RANGE
	// exits with KVM_EXIT_HYPERCALL; complete_hypercall_exit sets RAX =
	// hypercall.ret (32 bits outside long mode) and skips the 3-byte
	// VMCALL/VMMCALL before the immediate_exit check. [5.14]
	It("completes a userspace hypercall before the immediate exit [CMP-7]", Label("CMP-7"), func() {
		scenario := "vmcall-map-gpa"
		if _, err := os.Stat("/sys/module/kvm_amd"); err == nil {
			scenario = "vmmcall-map-gpa"
		}
		m, v := x86Machine(scenario, harness.MachineOptions{})
		mask := harness.RequireCap(m.Sys, m.VM, uapi.KVM_CAP_EXIT_HYPERCALL, "KVM_CAP_EXIT_HYPERCALL")
		if mask&(1<<12) == 0 {
			Skip("capability: KVM_CAP_EXIT_HYPERCALL does not offer KVM_HC_MAP_GPA_RANGE (bit 12)")
		}
		Expect(m.VM.EnableCap(uapi.KVM_CAP_EXIT_HYPERCALL, 1<<12)).To(Equal(kvm.Result{}))
		m.RunToExit(v, uapi.KVM_EXIT_HYPERCALL)
		h := v.Run().Hypercall()
		Expect(h.Nr).To(Equal(uint64(12)), "hypercall.nr")
		Expect(h.Args[0]).To(Equal(m.Sym("MAP_GPA")), "hypercall.args[0] (gpa)")
		v.Run().SetHypercallRet(0xfffffffe00000005)
		v.Run().SetImmediateExit(1)
		rr := m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s; %s", rr, m.State(v))
		r := regs(v)
		Expect(r.Rax).To(Equal(uint64(5)), "RAX = hypercall.ret truncated to 32 bits outside long mode")
		Expect(r.Rip).To(Equal(m.Sym("after")), "RIP past the 3-byte hypercall instruction")
		Expect(m.Marker()).To(BeZero())
	})
})
