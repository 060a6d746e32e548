//go:build amd64

package immediateexit

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
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
			rr := harness.RunFor(v, harness.RunDeadline())
			run.SetValidRegs(0)
			run.SetDirtyRegs(0)
			if want := kvm.Fail(unix.EINVAL); rr.Result != want || rr.DeadlinePassed {
				Fail(fmt.Sprintf("%s = 1<<%d with immediate_exit = 1: want KVM_RUN = %s, got %s", mask, bit, want, rr))
			}
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
		// kvm_run.s is struct kvm_sync_regs, whose regs is a struct kvm_regs.
		sync := run.SyncRegs()
		const rbxOff = x86.OffSyncRegsRegs + unsafe.Offsetof(x86.Regs{}.Rbx)
		binary.LittleEndian.PutUint64(sync[rbxOff:], 0xfeedface)
		run.SetDirtyRegs(x86.KVM_SYNC_X86_REGS)
		rr = m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "%s", rr)
		run.SetValidRegs(0)
		Expect(harness.X86Regs(v).Rbx).To(Equal(uint64(0xfeedface)), "RBX from the dirty sync regs, applied despite the immediate exit")
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
		Expect(run.ApicBase()).To(Equal(uint64(x86.APICDefaultBase|x86.APICBaseEnable|x86.APICBaseBSP)),
			"run->apic_base of the BSP after an immediate exit (0xFEE00900: default base, enabled, BSP)")
	})
})

var _ = Describe("x86 completion of pending exits", Label("completion", "immediate-exit", "x86"), func() {
	// CMP-1, CMP-2: a 1- or 2-byte IN is merged into the low bits of RAX
	// and a 4-byte one zero-extended, then the instruction is skipped;
	// both before the immediate_exit check. [4.11] x86.c has two paths
	// for it (the x86 facts: the completion's Paths), and CMP-2 accepts what each is written to
	// do: the fast path (kvm_fast_pio, VMX and SVM; 5.1, 45def77ebf79)
	// keeps RIP at an OUT during the exit and complete_fast_pio_out skips
	// it; the emulator path (x86_emulate_instruction, e.g. kvm_pvm) writes
	// an OUT back, RIP past it, before the exit. An IN waits for its data
	// with RIP at the IN on both. The path seen is a report entry.
	DescribeTable("completes port I/O before the immediate exit [CMP-1, CMP-2]",
		func(scenario string, dir uint8, size int) {
			m, v := x86Machine(scenario, harness.MachineOptions{})
			m.RunToExit(v, uapi.KVM_EXIT_IO)
			io := v.Run().IO()
			Expect([]uint64{uint64(io.Direction), uint64(io.Size), uint64(io.Port), uint64(io.Count)}).To(
				Equal([]uint64{uint64(dir), uint64(size), m.Sym("PIO_PORT"), 1}), "io{direction, size, port, count}")
			if dir == uapi.KVM_EXIT_IO_IN {
				m.ExpectPC(v, "insn", "RIP during the pending IN exit (CMP-2, both paths)")
			} else {
				recordPIOPath(m, v)
			}
			data, err := v.Run().IOData()
			Expect(err).NotTo(HaveOccurred())
			before := harness.X86Regs(v).Rax
			if dir == uapi.KVM_EXIT_IO_IN {
				copy(data, []byte{0x81, 0x92, 0xa3, 0xb4})
			} else {
				var want [4]byte
				binary.LittleEndian.PutUint32(want[:], guests.StoreValue)
				Expect(data).To(Equal(want[:size]), "OUT data")
			}
			m.RunImmediateEINTR(v, "completing the port I/O")
			m.ExpectPC(v, "after", "RIP after the completion")
			if dir == uapi.KVM_EXIT_IO_IN {
				want := map[int]uint64{1: before&^0xff | 0x81, 2: before&^0xffff | 0x9281, 4: 0xb4a39281}[size]
				harness.ExpectHex(harness.X86Regs(v).Rax, want, "RAX after a %d-byte IN completed (before: %#x)", size, before)
			}
			Expect(m.Marker()).To(BeZero(), "the marker after the I/O instruction")
			m.RunImmediateEINTR(v, "a second immediate run after the port I/O")
			m.ExpectPC(v, "after", "RIP after a second immediate run (CMP-13)")
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

	// CMP-3: what completing a pending IN does when userspace moved RIP
	// during the exit. The fast path's complete_fast_pio_in drops the
	// completion (kvm_is_linear_rip against pio.linear_rip, 5.1): RAX and
	// the new RIP stay. The emulator path (complete_emulated_pio →
	// complete_emulated_io → x86_emulate_instruction with
	// EMULTYPE_NO_DECODE, arch/x86/kvm/x86.c) has no such check: it
	// completes the IN and writes its decode-time next RIP over the new
	// one. The two paths contradict each other for the same userspace
	// action, so the spec fails on the emulator path, naming it.
	It("drops a PIO IN completion when userspace moved RIP [CMP-3]", Label("CMP-3"), func() {
		m, v := x86Machine("pio-in-b", harness.MachineOptions{})
		m.RunToExit(v, uapi.KVM_EXIT_IO)
		data, err := v.Run().IOData()
		Expect(err).NotTo(HaveOccurred())
		data[0] = 0x81
		r := harness.X86Regs(v)
		before := r.Rax
		moved := m.Sym("_start")
		r.Rip = moved
		Expect(x86.SetRegs(v, r)).To(Succeed())
		m.RunImmediateEINTR(v, "after RIP was moved during the pending IN")
		r = harness.X86Regs(v)
		fast, emu := pioPaths(m, uapi.KVM_EXIT_IO, arch.AccessRead)
		switch {
		case r.Rip == moved && r.Rax == before:
			AddReportEntry("x86 port I/O path (CMP-3)", fmt.Sprintf("%s: %s (%s)", fast.Name, fast.OnPCChange, fast.Source))
		case r.Rip == m.Sym("after"):
			AddReportEntry("x86 port I/O path (CMP-3)", fmt.Sprintf("%s: %s (%s)", emu.Name, emu.OnPCChange, emu.Source))
			Fail(fmt.Sprintf("CMP-3: with RIP moved to %s during a pending IN, want the completion dropped (RIP %s, RAX %#x), got RIP %s, RAX %#x (the IN's data was 0x81). "+
				"This is the %s path (%s: %s, register %s): it has no RIP check. The %s path (%s) drops the completion, so the two paths contradict each other for the same userspace action",
				m.Addr(moved), m.Addr(moved), before, m.Addr(r.Rip), r.Rax,
				emu.Name, emu.Source, emu.OnPCChange, emu.OnRegChange, fast.Name, fast.Source))
		default:
			Fail(fmt.Sprintf("CMP-3: with RIP moved to %s during a pending IN, want the completion dropped (RIP %s, RAX %#x), got RIP %s, RAX %#x, which neither port I/O path produces; %s",
				m.Addr(moved), m.Addr(moved), before, m.Addr(r.Rip), r.Rax, m.State(v)))
		}
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
		m.ExpectPC(v, "insn", "RIP during the pending string I/O exit")
		data, err := v.Run().IOData()
		Expect(err).NotTo(HaveOccurred())
		in := []byte{0xa1, 0xb2, 0xc3, 0xd4}
		copy(data, in)

		m.RunImmediateEINTR(v, "completing the REP INSB")
		buf, err := m.VM.ReadGuest(m.Sym("buf"), int(n))
		Expect(err).NotTo(HaveOccurred())
		Expect(buf).To(Equal(in), "`buf` after completion")
		r := harness.X86Regs(v)
		Expect([]uint64{r.Rip, r.Rcx & 0xffff, r.Rdi & 0xffff}).To(Equal([]uint64{m.Sym("insn"), 0, m.Sym("buf") + n}),
			"RIP, CX and DI after completion: every item stored, RIP left at the INS for the guest to end the REP")
		Expect(m.Marker()).To(BeZero(), "the code after the INSB ran during the immediate exit")

		copy(data, []byte{0xee, 0xee, 0xee, 0xee}) // a second completion would store these
		m.RunImmediateEINTR(v, "a second immediate run after the REP INSB")
		buf, err = m.VM.ReadGuest(m.Sym("buf"), int(n))
		Expect(err).NotTo(HaveOccurred())
		Expect(buf).To(Equal(in), "`buf` after a second immediate run: completed twice")
		m.ExpectPC(v, "insn", "RIP after a second immediate run")

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
		m.ExpectPC(v, "after", "RIP during a (non-split) MMIO write exit")
		m.RunImmediateEINTR(v, "after the MMIO write exit")
		m.ExpectPC(v, "after", "RIP after the immediate run")
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
		Expect(rr.ExitReason).To(Equal(uapi.KVM_EXIT_MMIO), "%s", m.State(v))
		second := v.Run().MMIO()
		Expect([]uint64{second.PhysAddr, uint64(second.Len)}).To(Equal([]uint64{m.Layout.MMIOBase + 0x1000, 2}), "second fragment {addr, len}")
		m.ExpectPC(v, "insn", "RIP while fragments are pending")
		v.Run().SetMMIOData([]byte{0xa3, 0xb4})
		rr = m.Run(v)
		Expect(rr.Errno).To(Equal(unix.EINTR), "completing the last fragment: %s; %s", rr, m.State(v))
		r := harness.X86Regs(v)
		Expect(r.Rax).To(Equal(uint64(0xb4a39281)), "EAX assembled from both fragments")
		m.ExpectPC(v, "after", "RIP after the last fragment completed")
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
		m.RunImmediateEINTR(v, "completing the RDMSR")
		r := harness.X86Regs(v)
		Expect([]uint64{r.Rdx, r.Rax}).To(Equal([]uint64{0x01234567, 0x89abcdef}), "EDX:EAX after the RDMSR completion")
		m.ExpectPC(v, "after", "RIP past RDMSR")
		Expect(m.Marker()).To(BeZero())
	})

	// CMP-7: with KVM_CAP_EXIT_HYPERCALL bit 12, KVM_HC_MAP_GPA_RANGE (12)
	// exits with KVM_EXIT_HYPERCALL; complete_hypercall_exit sets RAX =
	// hypercall.ret (32 bits outside long mode) and skips the 3-byte
	// VMCALL/VMMCALL before the immediate_exit check. [5.14]
	It("completes a userspace hypercall before the immediate exit [CMP-7]", Label("CMP-7"), func() {
		sys := harness.OpenKVM()
		a := harness.RequireArch("x86")
		m, v := harness.NewMachineVCPU(sys, a, harness.HypercallInstruction(sys)+"-map-gpa", harness.MachineOptions{})
		m.EnableMapGPARangeExit()
		m.RunPastHypercall(v, uapi.KVM_EXIT_HYPERCALL)
		h := v.Run().Hypercall()
		Expect(h.Nr).To(Equal(uint64(x86.KVM_HC_MAP_GPA_RANGE)), "hypercall.nr")
		Expect(h.Args[0]).To(Equal(m.Sym("MAP_GPA")), "hypercall.args[0] (gpa)")
		v.Run().SetHypercallRet(0xfffffffe00000005)
		m.RunImmediateEINTR(v, "completing the hypercall")
		r := harness.X86Regs(v)
		Expect(r.Rax).To(Equal(uint64(5)), "RAX = hypercall.ret truncated to 32 bits outside long mode")
		m.ExpectPC(v, "after", "RIP past the 3-byte hypercall instruction")
		Expect(m.Marker()).To(BeZero())
	})
})

// pioPaths returns the fast and the emulator path of an x86 port I/O
// completion from the arch facts (arch/x86/facts.go: the usual path and
// its OtherPaths), failing the spec if the facts lack either.
func pioPaths(m *harness.Machine, exit uapi.ExitReason, access arch.Access) (fast, emulator arch.CompletionPath) {
	GinkgoHelper()
	c, ok := m.Arch.Completions().Lookup(exit, access)
	if !ok {
		Fail(fmt.Sprintf("the x86 facts list no completion of exit %d %s", exit, access))
	}
	paths := c.Paths()
	fast = paths[0]
	for _, p := range paths[1:] {
		if p.Name == "emulator" {
			return fast, p
		}
	}
	Fail(fmt.Sprintf("the x86 facts of %s have no emulator path", c.Name()))
	return
}

// recordPIOPath checks RIP during a pending OUT exit against the two port
// I/O paths of the facts (the fast path leaves it at the OUT, the emulator
// path writes the OUT back first), records which one ran as a report
// entry, and fails the spec if RIP is where neither path leaves it.
func recordPIOPath(m *harness.Machine, v *kvm.VCPU) {
	GinkgoHelper()
	rip := harness.X86Regs(v).Rip
	fast, emu := pioPaths(m, uapi.KVM_EXIT_IO, arch.AccessWrite)
	for _, p := range []arch.CompletionPath{fast, emu} {
		want := m.Sym("insn")
		if p.PCPastAtExit {
			want = m.Sym("after")
		}
		if rip == want {
			AddReportEntry("x86 port I/O path (CMP-2)", fmt.Sprintf("%s: RIP %s during the OUT exit (%s)", p.Name, m.Addr(rip), p.Source))
			return
		}
	}
	Fail(fmt.Sprintf("RIP during the pending OUT exit (CMP-2): want %s (%s path) or %s (%s path), got %s; %s",
		m.Addr(m.Sym("insn")), fast.Name, m.Addr(m.Sym("after")), emu.Name, m.Addr(rip), m.State(v)))
}
