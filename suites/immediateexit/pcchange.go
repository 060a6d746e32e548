package immediateexit

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// CMP-14: KVM completes a pending userspace exit at the start of the next
// KVM_RUN, before the immediate_exit check. What does the completion do
// when userspace changed the vCPU in between: moved the PC (KVM_SET_REGS,
// KVM_SET_ONE_REG), or changed the destination register? Each
// architecture's facts (arch.Completion.OnPCChange, OnRegChange, per
// kernel path) answer it from the source, and these specs check the
// answers, one guest scenario at a time:
//
//   - x86 fast PIO (arch/x86/kvm/x86.c complete_fast_pio_in/_out, 5.1,
//     45def77ebf79): dropped when the linear RIP moved (kvm_is_linear_rip);
//     a 1- or 2-byte IN merges into the RAX userspace left.
//   - x86 instruction emulator (string I/O, MMIO, and everything on
//     kvm_pvm; x86_emulate_instruction with EMULTYPE_NO_DECODE): RIP =
//     ctxt->eip decoded at the exit, over the userspace RIP; after
//     KVM_SET_REGS the register cache is invalidated and the destination
//     register write never reaches the vCPU (emulate.c writeback_registers)
//     [verified 5.4, 6.1, 6.12, 6.19].
//   - x86 RDMSR and hypercall (complete_fast_rdmsr 5.10,
//     complete_hypercall_exit 5.14): EAX/EDX or RAX written; VMX skips
//     VM_EXIT_INSTRUCTION_LEN from the new RIP (vmx.c
//     skip_emulated_instruction), SVM writes next_rip (svm.c
//     __svm_skip_emulated_instruction) or, without NRIPS (kvm_amd nrips=0,
//     as under QEMU TCG), skips the instruction it decodes at the new RIP
//     (EMULTYPE_SKIP), the emulator writes its ctxt->_eip
//     (complete_emulated_insn_gp) [verified 6.1, 6.12, 6.19].
//   - arm64 (mmio.c kvm_handle_mmio_return, kvm_incr_pc, __kvm_adjust_pc):
//     Rt written, PC += 4 from the new PC [5.4; visible after an immediate
//     exit from 5.13, e3e880bb1518].
//   - riscv64 (vcpu_insn.c kvm_riscv_vcpu_mmio_return, vcpu_sbi.c
//     kvm_riscv_vcpu_sbi_return) [5.16]: rd or a0/a1 written, sepc +=
//     instruction length from the new sepc.
//   - ppc64 (powerpc.c kvmppc_complete_mmio_load and the hcall_needed
//     branch of kvm_arch_vcpu_ioctl_run) [5.4]: the register written, the
//     PC (advanced before the exit) left where userspace put it.
//   - mips (emulate.c kvm_mips_complete_mmio_load) [5.4]: PC = io_pc, the
//     resume PC saved at decode, over the userspace PC; rt written.
//   - loong64 (exit.c kvm_complete_mmio_read, kvm_complete_iocsr_read,
//     kvm_complete_user_service) [6.7]; s390x completes nothing.
//
// docs/completions.md has the whole table. Where an exit has more than one
// kernel path, the spec accepts what each path is written to do, records
// which one ran, and fails naming all of them when the kernel matches none.

// userValue is what userspace writes into the destination register during
// the exit: every byte differs from the data and from guests.Poison.
const userValue = 0x5a5a5a5a5a5a5a5a

// pcScenario is a guest scenario that ends in a completed exit.
type pcScenario struct {
	name   string          // the guest scenario
	exit   uapi.ExitReason // the exit it makes
	access arch.Access     // and its direction
	// dests are the destinations the completion writes: register names,
	// or "[sym]" for the 4 bytes at a guest symbol (x86 string I/O).
	dests []string
	// setup enables what the exit needs on the VM (capabilities); it may
	// skip the spec.
	setup func(m *harness.Machine)
	// answer fills the exit's response in kvm_run.
	answer func(m *harness.Machine, v *kvm.VCPU)
	// result is dest after the completion, given its value when the
	// completion ran.
	result func(m *harness.Machine, dest string, at uint64) uint64
	// completedSym is where the completion leaves the PC when nothing was
	// moved: "after", or "insn" for an x86 REP string instruction (the
	// guest's own re-execution ends it).
	completedSym string
	// onlyPath limits the kernel paths that can complete it ("emulator"
	// for string I/O); empty for any.
	onlyPath string
}

// pcCase is one table entry: a completion of the host architecture, a
// scenario that makes its exit, and what userspace changes during it.
type pcCase struct {
	c        arch.Completion
	s        pcScenario
	movePC   bool   // move the PC to _start; else change dests[0]
	noneWhy  string // no scenario: why (the entry skips)
	hostArch string
}

// pcChangeEntries builds the CMP-14 table for the host architecture from
// its completion facts: for each completion, each scenario, a "PC moved"
// entry and, when the completion has a destination register, a "register
// changed" entry.
func pcChangeEntries() []TableEntry {
	a := host.Arch()
	if a == nil {
		return []TableEntry{Entry("no architecture support", pcCase{noneWhy: "kvmconform has no support for this GOARCH"})}
	}
	exits := a.Completions().Exits
	if len(exits) == 0 {
		return []TableEntry{Entry(a.Name()+" completes no exits", pcCase{hostArch: a.Name(),
			noneWhy: a.Name() + " completes no exits at the next KVM_RUN (its arch facts list none), so nothing can be changed during one"})}
	}
	var entries []TableEntry
	for _, c := range exits {
		scenarios, why := pcScenarios(a.Name(), c)
		name := exitName(c)
		if len(scenarios) == 0 {
			entries = append(entries, Entry(fmt.Sprintf("%s: no guest scenario", name), pcCase{c: c, hostArch: a.Name(), noneWhy: why}))
			continue
		}
		for _, s := range scenarios {
			entries = append(entries, Entry(fmt.Sprintf("%s (%s): PC moved to _start", name, s.name), pcCase{c: c, s: s, movePC: true, hostArch: a.Name()}))
			if len(s.dests) > 0 && !strings.HasPrefix(s.dests[0], "[") && hasRegWrite(c) {
				entries = append(entries, Entry(fmt.Sprintf("%s (%s): %s changed", name, s.name, s.dests[0]), pcCase{c: c, s: s, hostArch: a.Name()}))
			}
		}
	}
	return entries
}

// exitName is "KVM_EXIT_MMIO read".
func exitName(c arch.Completion) string {
	n := "KVM_EXIT_" + c.ExitReason.String()
	if c.Access != arch.AccessNone {
		n += " " + c.Access.String()
	}
	return n
}

// hasRegWrite is true when some path of c writes a register.
func hasRegWrite(c arch.Completion) bool {
	for _, p := range c.Paths() {
		if p.OnRegChange != arch.RegNone {
			return true
		}
	}
	return false
}

// pcMMIOData answers the MMIO reads of CMP-14. Unlike mmioData, no byte
// has its top bit set, so sign and zero extension give the same value at
// every width: CMP-14 checks whether and where the completion writes the
// register, CMP-8/CMP-10/CMP-12 check how it extends. Every byte differs
// from guests.Poison's and userValue's.
var pcMMIOData = [8]byte{0x71, 0x62, 0x53, 0x44, 0x35, 0x26, 0x17, 0x08}

// pcDataValue is the first width bytes of pcMMIOData in the guest's byte
// order.
func pcDataValue(m *harness.Machine, width int) uint64 {
	var v uint64
	for i := 0; i < width; i++ {
		if m.Layout.ByteOrder == binary.ByteOrder(binary.BigEndian) {
			v = v<<8 | uint64(pcMMIOData[i])
		} else {
			v |= uint64(pcMMIOData[i]) << (8 * i)
		}
	}
	return v
}

// ioData answers every PIO IN.
var ioData = [4]byte{0x81, 0x92, 0xa3, 0xb4}

// pcScenarios lists the guest scenarios that make the exit of completion c
// on architecture name, or says why there is none.
func pcScenarios(name string, c arch.Completion) ([]pcScenario, string) {
	var out []pcScenario
	switch {
	case c.ExitReason == uapi.KVM_EXIT_MMIO && c.Access == arch.AccessRead:
		for _, l := range guests.MMIOLoads(name) {
			l := l
			out = append(out, pcScenario{name: l.Scenario, exit: uapi.KVM_EXIT_MMIO, access: arch.AccessRead, dests: []string{l.Reg},
				answer: func(m *harness.Machine, v *kvm.VCPU) { v.Run().SetMMIOData(pcMMIOData[:]) },
				result: func(m *harness.Machine, _ string, at uint64) uint64 { return l.Expect(pcDataValue(m, l.Width), at) }})
		}
		if len(out) == 0 {
			return nil, guests.Reason(name, "mmio-load")
		}
	case c.ExitReason == uapi.KVM_EXIT_MMIO && c.Access == arch.AccessWrite:
		out = append(out, pcScenario{name: "mmio-store", exit: uapi.KVM_EXIT_MMIO, access: arch.AccessWrite})
	case c.ExitReason == uapi.KVM_EXIT_IO && c.Access == arch.AccessRead:
		for _, in := range []struct {
			sc   string
			size int
		}{{"pio-in-b", 1}, {"pio-in-w", 2}, {"pio-in-l", 4}} {
			size := in.size
			out = append(out, pcScenario{name: in.sc, exit: uapi.KVM_EXIT_IO, access: arch.AccessRead, dests: []string{"rax"},
				answer: answerIO,
				result: func(_ *harness.Machine, _ string, at uint64) uint64 {
					return map[int]uint64{1: at&^0xff | 0x81, 2: at&^0xffff | 0x9281, 4: 0xb4a39281}[size]
				}})
		}
		// REP INSB stores into `buf` through the emulator; the REP is
		// left at the instruction for the guest to end (see x86.go).
		out = append(out, pcScenario{name: "pio-rep-insb", exit: uapi.KVM_EXIT_IO, access: arch.AccessRead, dests: []string{"[buf]"},
			answer:       answerIO,
			result:       func(*harness.Machine, string, uint64) uint64 { return uint64(binary.LittleEndian.Uint32(ioData[:])) },
			completedSym: "insn", onlyPath: "emulator"})
	case c.ExitReason == uapi.KVM_EXIT_IO && c.Access == arch.AccessWrite:
		for _, sc := range []string{"pio-out-b", "pio-out-w", "pio-out-l"} {
			out = append(out, pcScenario{name: sc, exit: uapi.KVM_EXIT_IO, access: arch.AccessWrite})
		}
	case c.ExitReason == uapi.KVM_EXIT_X86_RDMSR:
		const data = 0x0123456789abcdef
		out = append(out, pcScenario{name: "rdmsr-unknown", exit: uapi.KVM_EXIT_X86_RDMSR, access: arch.AccessRead, dests: []string{"rax", "rdx"},
			setup: func(m *harness.Machine) {
				harness.RequireCap(m.Sys, m.VM, uapi.KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR")
				Expect(m.VM.EnableCap(uapi.KVM_CAP_X86_USER_SPACE_MSR, uapi.KVM_MSR_EXIT_REASON_UNKNOWN)).To(Equal(kvm.Result{}), "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR)")
			},
			answer: func(_ *harness.Machine, v *kvm.VCPU) { v.Run().SetMSRResult(0, data) },
			result: func(_ *harness.Machine, dest string, _ uint64) uint64 {
				if dest == "rdx" {
					return data >> 32
				}
				return data & 0xffffffff
			}})
	case c.ExitReason == uapi.KVM_EXIT_HYPERCALL:
		const ret = 0xfffffffe00000005
		scenario := "vmcall-map-gpa"
		if moduleLoaded("kvm_amd") {
			scenario = "vmmcall-map-gpa"
		}
		out = append(out, pcScenario{name: scenario, exit: uapi.KVM_EXIT_HYPERCALL, dests: []string{"rax"},
			setup: func(m *harness.Machine) {
				if moduleLoaded("kvm_pvm") {
					Skip("path: kvm_pvm emulates the guest's VMCALL, and the emulator makes no KVM_EXIT_HYPERCALL: em_hypercall " +
						"(arch/x86/kvm/emulate.c) rewrites the instruction through emulator_fix_hypercall (x86.c) and lets the guest re-run it; " +
						"CMP-7 reports the missing exit")
				}
				m.EnableMapGPARangeExit()
			},
			answer: func(_ *harness.Machine, v *kvm.VCPU) { v.Run().SetHypercallRet(ret) },
			// 32 bits outside long mode (complete_hypercall_exit).
			result: func(*harness.Machine, string, uint64) uint64 { return ret & 0xffffffff }})
	case c.ExitReason == uapi.KVM_EXIT_RISCV_SBI:
		out = append(out, pcScenario{name: "sbi-ecall-exp", exit: uapi.KVM_EXIT_RISCV_SBI, dests: []string{"a1", "a0"},
			answer: func(_ *harness.Machine, v *kvm.VCPU) { v.Run().SetRiscvSBIRet(0, 0x1234) },
			result: func(_ *harness.Machine, dest string, _ uint64) uint64 {
				if dest == "a0" {
					return 0
				}
				return 0x1234
			}})
	case c.ExitReason == uapi.KVM_EXIT_PAPR_HCALL:
		out = append(out, pcScenario{name: "papr-hcall", exit: uapi.KVM_EXIT_PAPR_HCALL, dests: []string{"r3", "r4"},
			answer: func(_ *harness.Machine, v *kvm.VCPU) {
				v.Run().SetPaprHcallRet(0x77)
				v.Run().SetPaprHcallArg(0, 0x400)
			},
			result: func(_ *harness.Machine, dest string, _ uint64) uint64 {
				if dest == "r4" {
					return 0x400
				}
				return 0x77
			}})
	}
	// An exit reason belongs to the architectures whose facts list it;
	// the scenarios above are the guests that make it, and a guest exists
	// only for the architecture it is written for.
	var have []pcScenario
	var missing string
	for _, sc := range out {
		if guests.Has(name, sc.name) {
			have = append(have, sc)
		} else if missing == "" {
			missing = guests.Reason(name, sc.name)
		}
	}
	out = have
	if len(out) == 0 && missing != "" {
		return nil, missing
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("%s has no guest scenario that makes this exit", name)
	}
	for i := range out {
		if out[i].completedSym == "" {
			out[i].completedSym = "after"
		}
	}
	return out, ""
}

func answerIO(_ *harness.Machine, v *kvm.VCPU) {
	GinkgoHelper()
	data, err := v.Run().IOData()
	Expect(err).NotTo(HaveOccurred())
	if v.Run().IO().Direction == uapi.KVM_EXIT_IO_IN {
		copy(data, ioData[:])
	}
}

// pathApplies reports whether kernel path p can complete the exit on this
// host: its x86 vendor module is loaded and, where a module parameter
// selects it, the parameter reads as it says ("nrips=Y").
func pathApplies(p arch.CompletionPath) bool {
	if p.Vendor == "" {
		return true
	}
	if !moduleLoaded(p.Vendor) {
		return false
	}
	if p.VendorParam == "" {
		return true
	}
	name, want, _ := strings.Cut(p.VendorParam, "=")
	b, err := os.ReadFile("/sys/module/" + p.Vendor + "/parameters/" + name)
	if err != nil {
		return false
	}
	got := strings.TrimSpace(string(b))
	switch got {
	case "1":
		got = "Y"
	case "0":
		got = "N"
	}
	return got == want
}

// insnLenAt is the length of the instruction at addr, for a path that skips
// whatever it decodes at the new PC (arch.SkipsAtNewPC). Only x86's facts
// list such a path, and the PC is only ever moved to _start, whose first
// instruction in every x86 image is REAL_START's `xorw %ax, %ax` (guests/
// src/x86/common.inc): 31 c0, two bytes in 16- and in 32-bit code.
func insnLenAt(m *harness.Machine, addr uint64) uint64 {
	GinkgoHelper()
	b, err := m.VM.ReadGuest(addr, 2)
	Expect(err).NotTo(HaveOccurred())
	if b[0] != 0x31 || b[1] != 0xc0 {
		Fail(fmt.Sprintf("the spec does not know the length of the %s instruction at %#x (bytes % x)", m.Arch.Name(), addr, b))
	}
	return 2
}

// moduleLoaded reports whether the kernel module is loaded (x86 vendor
// modules: kvm_intel, kvm_amd, kvm_pvm).
func moduleLoaded(name string) bool {
	_, err := os.Stat("/sys/module/" + name)
	return err == nil
}

// readDest reads a destination: a register, or "[sym]", the 4 bytes at a
// guest symbol in the guest's byte order.
func readDest(m *harness.Machine, v *kvm.VCPU, dest string) uint64 {
	GinkgoHelper()
	if sym, ok := strings.CutPrefix(dest, "["); ok {
		b, err := m.VM.ReadGuest(m.Sym(strings.TrimSuffix(sym, "]")), 4)
		Expect(err).NotTo(HaveOccurred())
		return uint64(m.Layout.ByteOrder.Uint32(b))
	}
	return m.Reg(v, dest)
}

// pcOutcome is what one kernel path is written to leave, or what came.
type pcOutcome struct {
	pcAtExit uint64
	pc       uint64
	dests    []uint64
}

// symbolic names a guest address for a message: "0x1000 (_start)".
func symbolic(m *harness.Machine, addr uint64) string {
	for _, s := range []string{"_start", "insn", "after"} {
		base := m.Sym(s)
		switch {
		case addr == base:
			return fmt.Sprintf("%#x (%s)", addr, s)
		case s == "_start" && addr > base && addr < base+16 && addr != m.Sym("insn") && addr != m.Sym("after"):
			return fmt.Sprintf("%#x (_start+%d)", addr, addr-base)
		}
	}
	return fmt.Sprintf("%#x", addr)
}

func (o pcOutcome) render(m *harness.Machine, s pcScenario, withExit bool) string {
	parts := []string{"PC " + symbolic(m, o.pc)}
	for i, d := range s.dests {
		parts = append(parts, fmt.Sprintf("%s %#x", d, o.dests[i]))
	}
	if withExit {
		parts = append(parts, "PC during the exit "+symbolic(m, o.pcAtExit))
	}
	return strings.Join(parts, ", ")
}

func (o pcOutcome) equal(p pcOutcome) bool {
	if o.pc != p.pc || o.pcAtExit != p.pcAtExit || len(o.dests) != len(p.dests) {
		return false
	}
	for i := range o.dests {
		if o.dests[i] != p.dests[i] {
			return false
		}
	}
	return true
}

// expect is what path p is written to leave: the PC during the exit, the
// PC and every destination after the immediate run. newPC is where
// userspace moved the PC (when it did), at holds each destination's value
// when the completion ran (userValue for the one userspace changed).
func expect(m *harness.Machine, s pcScenario, p arch.CompletionPath, movePC bool, newPC uint64, at []uint64) pcOutcome {
	GinkgoHelper()
	insn, completed := m.Sym("insn"), m.Sym(s.completedSym)
	o := pcOutcome{pcAtExit: insn, pc: completed}
	if p.PCPastAtExit {
		o.pcAtExit = m.Sym("after")
	}
	applied := true
	if movePC {
		switch p.OnPCChange {
		case arch.Dropped:
			o.pc, applied = newPC, false
		case arch.PCOverwritten:
			o.pc = completed
		case arch.AppliedAtNewPC:
			// The completion moves the PC by what it moves it normally:
			// from the PC during the exit to where it completes.
			o.pc = newPC + (completed - o.pcAtExit)
		case arch.PCKept:
			o.pc = newPC
		case arch.SkipsAtNewPC:
			o.pc = newPC + insnLenAt(m, newPC)
		}
	}
	for i, d := range s.dests {
		v := at[i]
		switch {
		case !applied:
		case strings.HasPrefix(d, "["): // memory: stored by the emulator, no register cache
			v = s.result(m, d, at[i])
		case p.OnRegChange == arch.RegWritten:
			v = s.result(m, d, at[i])
		}
		o.dests = append(o.dests, v)
	}
	return o
}

// describePath is "fast PIO: dropped, arch/x86/kvm/x86.c complete_fast_pio_in (Linux 5.1+)".
func describePath(p arch.CompletionPath, movePC bool) string {
	answer := p.OnPCChange.String()
	if !movePC {
		answer = "register " + p.OnRegChange.String()
	}
	src := p.Source
	src.Note = ""
	if p.Name == "" {
		return answer + ", " + src.String()
	}
	return p.Name + ": " + answer + ", " + src.String()
}

var _ = Describe("Completion when userspace changed the vCPU during the exit", Label("completion", "immediate-exit", "CMP-14"), harness.ArchLabel(), func() {
	// The host architecture's table (docs/completions.md has every
	// architecture's), recorded with the report; every completion the
	// facts list must answer CMP-14.
	It("records what each completion of the host architecture does [CMP-14]", func() {
		a := harness.HostArch()
		f := a.Completions()
		AddReportEntry("completions when userspace moved the PC or changed the destination (CMP-14)", f.Rows(a.Name()))
		Expect(f.Incomplete()).To(BeEmpty(), "%s completion facts without a CMP-14 answer", a.Name())
	})

	// See the comment at the top of this file for the kernel sources and
	// versions each entry checks.
	DescribeTable("applies, drops or re-anchors the pending completion as the architecture's source says [CMP-14]",
		func(tc pcCase) {
			if tc.noneWhy != "" {
				if tc.hostArch == "" {
					harness.HostArch()
				}
				Skip("architecture: " + tc.noneWhy)
			}
			sys := harness.OpenKVM()
			a := harness.HostArch()
			s := tc.s
			m, v := harness.NewMachineVCPU(sys, a, s.name, harness.MachineOptions{})
			if s.setup != nil {
				s.setup(m)
			}

			By("running to the exit")
			m.RunToExit(v, s.exit)
			if s.exit == uapi.KVM_EXIT_MMIO {
				Expect(v.Run().MMIO().IsWrite).To(Equal(s.access == arch.AccessWrite), "mmio.is_write: %s", m.State(v))
			}
			if s.exit == uapi.KVM_EXIT_IO {
				Expect(v.Run().IO().Direction).To(Equal(map[bool]uint8{true: uapi.KVM_EXIT_IO_OUT, false: uapi.KVM_EXIT_IO_IN}[s.access == arch.AccessWrite]), "io.direction")
			}
			pcAtExit := m.PC(v)
			at := make([]uint64, len(s.dests))
			for i, d := range s.dests {
				at[i] = readDest(m, v, d)
			}
			if s.answer != nil {
				s.answer(m, v)
			}

			newPC := m.Sym("_start")
			what := "with the PC moved during the exit"
			if tc.movePC {
				By(fmt.Sprintf("moving the PC to _start (%#x)", newPC))
				Expect(a.SetPC(v, newPC)).To(Succeed())
			} else {
				what = fmt.Sprintf("with %s changed to %#x during the exit", s.dests[0], uint64(userValue))
				By("changing " + s.dests[0])
				Expect(a.SetReg(v, s.dests[0], userValue)).To(Succeed())
				at[0] = userValue
			}

			By("running with immediate_exit = 1")
			m.RunImmediateEINTR(v, "KVM_RUN with immediate_exit after the exit %s", what)
			got := pcOutcome{pcAtExit: pcAtExit, pc: m.PC(v)}
			for _, d := range s.dests {
				got.dests = append(got.dests, readDest(m, v, d))
			}
			Expect(m.Marker()).To(BeZero(), "the code after the instruction ran during the immediate exit")

			// Every kernel path this host can take, and what each is
			// written to leave.
			var wants []string
			var matched []string
			for _, p := range tc.c.Paths() {
				if !pathApplies(p) || (s.onlyPath != "" && p.Name != s.onlyPath) {
					continue
				}
				if !tc.movePC && p.OnRegChange == arch.RegNone {
					continue
				}
				want := expect(m, s, p, tc.movePC, newPC, at)
				if want.equal(got) {
					matched = append(matched, describePath(p, tc.movePC))
				}
				wants = append(wants, want.render(m, s, len(tc.c.Paths()) > 1)+" ("+describePath(p, tc.movePC)+")")
			}
			Expect(wants).NotTo(BeEmpty(), "no kernel path of %s applies to this host", exitName(tc.c))
			subject := "PC"
			if len(s.dests) > 0 {
				subject += " and " + strings.Join(s.dests, ", ")
			}
			if len(matched) == 0 {
				Fail(fmt.Sprintf("%s after completion %s: want %s, got %s\n%s (%s); %s",
					subject, what, strings.Join(wants, " or "), got.render(m, s, len(tc.c.Paths()) > 1),
					exitName(tc.c), tc.c.Effect, m.State(v)))
			}
			AddReportEntry("kernel path (CMP-14)", fmt.Sprintf("%s %s: %s", s.name, what, strings.Join(matched, " | ")))
		},
		pcChangeEntries(),
	)
})
