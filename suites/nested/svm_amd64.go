//go:build amd64

package nested

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch/x86"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// immediateExitBound is the most L2 loop iterations NEST-1 accepts before
// the forced #VMEXIT(INTR). The source's promise is an exit right after
// entry: the self-IPI (smp_send_reschedule) is sent with interrupts
// disabled before VMRUN, so it is already pending in the local APIC when
// the CPU enters L2; the CPU delivers EVENTINJ first and then recognises
// the pending interrupt at the first instruction boundary ("Event injection
// happens before external interrupts cause a vmexit", svm.c svm_vcpu_run;
// "after the entry is complete (often including processing an injection
// and jumping to the relevant handler), the physical interrupt is noticed
// and causes an exit", d6185f20a0ef). So L2 gets at most as far as the
// interrupt's own recognition latency lets it: under QEMU TCG, whose APIC
// raises the interrupt synchronously, no instruction at all; on hardware a
// few hundred cycles at most, a few hundred iterations of the 2-instruction
// loop. Without the forced exit L2 would run until L0's next interrupt of
// its own, a timer tick (1-4 ms, or none with nohz_full): hundreds of
// thousands of iterations. 1000 separates the two.
const immediateExitBound = 1000

// VMCB control area fields the host reads from L1's memory (the image
// has them as VMCB_* symbols too).
const (
	svmExitIntr     = 0x060
	svmExitVMMCALL  = 0x081
	svmExitShutdown = 0x07F
	svmExitErr      = 0xFFFFFFFF // VMEXIT_INVALID (-1)
	exitIntInfoV    = 1 << 31
)

// svmExitName names an SVM exit code (AMD APM vol. 2, appendix C).
func svmExitName(code uint32) string {
	switch {
	case code == svmExitIntr:
		return "INTR"
	case code == 0x061:
		return "NMI"
	case code == 0x062:
		return "SMI"
	case code == 0x063:
		return "INIT"
	case code == 0x064:
		return "VINTR"
	case code == 0x078:
		return "HLT"
	case code == svmExitShutdown:
		return "SHUTDOWN"
	case code == 0x080:
		return "VMRUN"
	case code == svmExitVMMCALL:
		return "VMMCALL"
	case code == 0x400:
		return "NPF"
	case code == svmExitErr:
		return "ERR (VMEXIT_INVALID: KVM rejected the VMCB)"
	case code >= 0x40 && code < 0x60:
		return "EXCP " + vectorName(code-0x40)
	}
	return "unknown"
}

// vectorName names an x86 exception vector.
func vectorName(v uint32) string {
	names := []string{"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "", "#TS", "#NP", "#SS", "#GP", "#PF", "", "#MF", "#AC", "#MC", "#XM"}
	if int(v) < len(names) && names[v] != "" {
		return fmt.Sprintf("%#x (%s)", v, names[v])
	}
	return fmt.Sprintf("%#x", v)
}

// l1 is the nested-svm guest with vCPU 0 at its entry.
type l1 struct {
	sys *kvm.System
	m   *harness.Machine
	v   *kvm.VCPU
}

// vmexit is what L1 reported after one #VMEXIT (REPORT_L1_VMEXIT), with
// what the host read from L1's memory at that report.
type vmexit struct {
	code, l2Count, l2Handled, exitIntInfo, l2RIP uint32
	ordinal                                      uint32 // l1_vmexits: this exit's number
	unexpected                                   uint32 // l2_unexpected: 0x100 | a vector L2 took by surprise
	handlerEIP, handlerCount                     uint32 // what L2's handler's latest run interrupted: EIP, l2_count
	info1, info2                                 uint64
}

// requireNestedSVM skips the spec where the host cannot run an SVM L1:
// not AMD (no VMX L1 is written), no SVM in KVM_GET_SUPPORTED_CPUID,
// kvm_amd nested=0.
func requireNestedSVM(sys *kvm.System) {
	GinkgoHelper()
	entries, err := x86.SupportedCPUID(sys)
	if err != nil {
		Fail(fmt.Sprintf("KVM_GET_SUPPORTED_CPUID: %v", err))
	}
	vendor, err := x86.Vendor(sys)
	if err != nil {
		Fail(err.Error())
	}
	if vendor != "AuthenticAMD" && vendor != "HygonGenuine" {
		Skip(fmt.Sprintf("feature: VMX L1 not written: no VMX host or emulation to run it on (CPU vendor %q; nested-svm is the AMD SVM L1, and a nested-vmx L1 would share its layout, guests/src/x86/nested.inc)", vendor))
	}
	info := hostinfo.Read(kvm.DevicePath())
	param, amd := "", "kvm_amd not loaded"
	if b, err := os.ReadFile("/sys/module/kvm_amd/parameters/nested"); err == nil {
		param = strings.TrimSpace(string(b))
		amd = "kvm_amd nested=" + param
	}
	nestedCap := sys.CheckExtension(x86.KVM_CAP_NESTED_STATE)
	facts := fmt.Sprintf("%s, KVM_CAP_NESTED_STATE = %s, KVM modules: %s", amd, nestedCap, strings.Join(info.Modules, ","))
	if param == "0" || param == "N" {
		Skip("feature: nested virtualisation is off: " + facts)
	}
	if !x86.HasFeature(entries, x86.CPUIDExtLeaf, x86.CPUIDSVMBit) {
		why := "feature: no nested virtualisation: KVM_GET_SUPPORTED_CPUID 0x80000001 ECX has no SVM (bit 2); " + facts
		if slices.Contains(info.Modules, "kvm_pvm") {
			why += " (kvm_pvm has no nested virtualisation)"
		}
		Skip(why)
	}
	AddReportEntry("nested SVM", facts)
}

// newL1 builds the nested-svm machine: in-kernel irqchip (L1's LAPIC takes
// KVM_SIGNAL_MSI), every supported CPUID leaf (with SVM), vCPU 0 at the
// entry, and the planted-fault patches if a test build set any. With
// inject, L1's first VMRUN has EVENTINJ (vector NestedL2Vector); without,
// L1 injects nothing (cfg_event_inj = 0). Only NEST-1 is about EVENTINJ:
// the other specs run without it, because QEMU's TCG SVM may deliver an
// INTR-type EVENTINJ twice when no interrupt is pending at VMRUN (see
// guests/src/x86/nested-svm.S), which would make them judge QEMU.
func newL1(inject bool) *l1 {
	GinkgoHelper()
	sys := harness.OpenKVM()
	a := harness.RequireArch("x86")
	requireNestedSVM(sys)
	m, v := harness.NewMachineVCPU(sys, a, "nested-svm", harness.MachineOptions{IRQChip: true})
	if err := x86.SetSupportedCPUID(sys, v); err != nil {
		Fail(err.Error())
	}
	l := &l1{sys: sys, m: m, v: v}
	if !inject {
		l.write32("cfg_event_inj", 0)
	}
	for _, name := range slices.Sorted(maps.Keys(guestPatches)) {
		l.write32(name, guestPatches[name])
		AddReportEntry("planted fault", fmt.Sprintf("%s = %#x", name, guestPatches[name]))
	}
	return l
}

// requireNestedState skips the spec without KVM_CAP_NESTED_STATE and
// returns the largest state KVM writes (its value).
func (l *l1) requireNestedState() int {
	GinkgoHelper()
	return int(harness.RequireCap(l.sys, nil, x86.KVM_CAP_NESTED_STATE, "KVM_CAP_NESTED_STATE"))
}

// word returns a pointer to the 4-byte RAM word at symbol name, for reads
// while the vCPU runs.
func (l *l1) word(name string) *uint32 {
	GinkgoHelper()
	gpa, err := l.m.Image.SymPhys(name)
	if err != nil {
		Fail(err.Error())
	}
	return l.wordAt(gpa)
}

func (l *l1) wordAt(gpa uint64) *uint32 {
	GinkgoHelper()
	off := gpa - l.m.Layout.RAMBase
	if gpa%4 != 0 || off+4 > uint64(len(l.m.RAM.Data)) {
		Fail(fmt.Sprintf("guest word %#x is not an aligned RAM word", gpa))
	}
	return (*uint32)(unsafe.Pointer(&l.m.RAM.Data[off]))
}

func (l *l1) read32(name string) uint32 { GinkgoHelper(); return atomic.LoadUint32(l.word(name)) }

func (l *l1) write32(name string, v uint32) { GinkgoHelper(); atomic.StoreUint32(l.word(name), v) }

// vmcb64 reads a 64-bit field of L1's VMCB (at symbol VMCB) at offset off.
func (l *l1) vmcb64(off uint64) uint64 {
	GinkgoHelper()
	b, err := l.m.VM.ReadGuest(l.m.Sym("VMCB")+off, 8)
	if err != nil {
		Fail(err.Error())
	}
	return binary.LittleEndian.Uint64(b)
}

// count is L2's loop counter, read while L2 may be running.
func (l *l1) count() uint32 { GinkgoHelper(); return l.read32("l2_count") }

// msi sends L1 its interrupt: KVM_SIGNAL_MSI to APIC ID 0 (physical
// destination), fixed delivery, edge, vector NestedL1Vector. The ioctl's
// value counts the vCPUs it reached: 0 would mean nobody took it.
func (l *l1) msi() kvm.Result {
	return l.m.VM.SignalMSI(0xFEE00000, guests.NestedL1Vector)
}

func (l *l1) expectMSI(when string) {
	GinkgoHelper()
	if r := l.msi(); !r.OK() || r.Ret < 1 {
		Fail(fmt.Sprintf("KVM_SIGNAL_MSI (vector %#x to APIC ID 0) %s: want a delivery (a positive count), got %s", guests.NestedL1Vector, when, r))
	}
}

// describeReport renders a report of the guest that is not the one a spec
// waited for: L1's fault, its missing interrupt, or a value.
func (l *l1) describeReport(val uint32) string {
	GinkgoHelper()
	r := l.regs()
	switch guests.ReportValue(val) {
	case guests.ReportL1Ready:
		return "L1's REPORT_L1_READY (it had not entered L2 yet)"
	case guests.ReportL1VMExit:
		return "L1's report of " + l.describe(l.readVMExit())
	case guests.ReportL1NoIRQ:
		return fmt.Sprintf("L1's REPORT_L1_NOIRQ: after #VMEXIT(INTR) L1 let interrupts in (STGI, IF = 1) but took none (l1_irqs = %d)", uint32(r.Rbx))
	case guests.ReportL1Fault:
		vec := uint32(r.Rbx)
		eip := uint32(r.Rcx)
		if vec == 8 || vec >= 10 && vec <= 14 || vec == 17 {
			eip = uint32(r.Rsi) // the error code comes first
		}
		return fmt.Sprintf("L1's REPORT_L1_FAULT: L1 took vector %s at EIP %s (stack words %#x %#x)", vectorName(vec), l.m.Addr(uint64(eip)), uint32(r.Rcx), uint32(r.Rsi))
	}
	return fmt.Sprintf("the report %#x", val)
}

func (l *l1) regs() *x86.Regs {
	GinkgoHelper()
	return harness.X86Regs(l.v)
}

// runToReady runs L1 through its set-up to REPORT_L1_READY.
func (l *l1) runToReady() {
	GinkgoHelper()
	if got := l.m.RunToReport(l.v); guests.ReportValue(got) != guests.ReportL1Ready {
		Fail(fmt.Sprintf("L1's set-up: want REPORT_L1_READY, got %s; %s", l.describeReport(got), l.m.State(l.v)))
	}
}

// readVMExit reads L1's REPORT_L1_VMEXIT registers and the VMCB.
func (l *l1) readVMExit() vmexit {
	GinkgoHelper()
	r := l.regs()
	return vmexit{
		code: uint32(r.Rbx), l2Count: uint32(r.Rcx), l2Handled: uint32(r.Rsi), exitIntInfo: uint32(r.Rdi), l2RIP: uint32(r.Rbp),
		ordinal: l.read32("l1_vmexits"), unexpected: l.read32("l2_unexpected"),
		handlerEIP: l.read32("l2_handler_eip"), handlerCount: l.read32("l2_handler_count"),
		info1: l.vmcb64(l.m.Sym("VMCB_EXITINFO1")), info2: l.vmcb64(l.m.Sym("VMCB_EXITINFO2")),
	}
}

// describe renders what L1 saw at one #VMEXIT.
func (l *l1) describe(e vmexit) string {
	s := fmt.Sprintf("#VMEXIT(%s) (exit code %#x), L1's exit #%d: L2 RIP %s, L2 loop count %d, L2's handler ran %d time(s), EXITINTINFO %#x",
		svmExitName(e.code), e.code, e.ordinal, l.m.Addr(uint64(e.l2RIP)), e.l2Count, e.l2Handled, e.exitIntInfo)
	if e.exitIntInfo&exitIntInfoV != 0 {
		s += fmt.Sprintf(" (valid: vector %#x, type %d, in delivery)", e.exitIntInfo&0xFF, e.exitIntInfo>>8&7)
	} else {
		s += " (no event in delivery)"
	}
	if e.l2Handled > 0 {
		s += fmt.Sprintf(" (its latest run interrupted L2 at %s, at loop count %d)", l.m.Addr(uint64(e.handlerEIP)), e.handlerCount)
	}
	s += fmt.Sprintf(", EXITINFO1 %#x, EXITINFO2 %#x", e.info1, e.info2)
	if e.unexpected != 0 {
		s += fmt.Sprintf("; L2 took vector %#x, which L1 did not inject, and left with VMMCALL", e.unexpected&0xFF)
	}
	return s
}

// runToVMExit runs the vCPU (bounded) to L1's next report, which must be
// a #VMEXIT report.
func (l *l1) runToVMExit(what string) vmexit {
	GinkgoHelper()
	return l.vmexitFrom(l.m.Run(l.v), what)
}

// vmexitFrom judges a KVM_RUN that must have ended with L1's report of a
// #VMEXIT.
func (l *l1) vmexitFrom(rr kvm.RunResult, what string) vmexit {
	GinkgoHelper()
	if rr.Stuck || rr.DeadlinePassed {
		Fail(fmt.Sprintf("%s: want L1's report of a #VMEXIT, got %s; L2 loop count %d; %s", what, rr, l.count(), l.m.State(l.v)))
	}
	val, ok := l.m.Report(l.v)
	switch {
	case !rr.OK():
		Fail(fmt.Sprintf("%s: want L1's report of a #VMEXIT, got %s; %s", what, rr, l.m.State(l.v)))
	case !ok:
		Fail(fmt.Sprintf("%s: want L1's report of a #VMEXIT, got %s; %s", what, l.v.Run().Describe(), l.m.State(l.v)))
	case guests.ReportValue(val) != guests.ReportL1VMExit:
		Fail(fmt.Sprintf("%s: want L1's report of a #VMEXIT, got %s; %s", what, l.describeReport(val), l.m.State(l.v)))
	}
	return l.readVMExit()
}

// progress is what runWhileL2Runs saw.
type progress struct {
	rr     kvm.RunResult
	seen   uint32 // L2's count when act ran (or the last one read)
	acted  bool   // act ran: L2's count passed the floor during the run
	waited time.Duration
}

// runWhileL2Runs issues one bounded KVM_RUN on the vCPU's thread and,
// from this goroutine, waits until L2's counter passes floor (L2 runs),
// then calls act (a kick, an MSI: VM and kick calls are safe while the
// vCPU is in KVM_RUN). It returns the run's result. If L2 does not run
// within half the deadline, act is not called and the watchdog ends the
// run.
func (l *l1) runWhileL2Runs(floor uint32, act func()) progress {
	GinkgoHelper()
	counter := l.word("l2_count")
	done := make(chan kvm.RunResult, 1)
	go func() { done <- l.v.RunBounded(harness.RunDeadline(), harness.KickGrace()) }()
	start := time.Now()
	p := progress{}
	for {
		select {
		case p.rr = <-done:
			p.waited = time.Since(start)
			return p
		default:
		}
		p.seen = atomic.LoadUint32(counter)
		if p.seen > floor {
			p.acted = true
			p.waited = time.Since(start)
			act()
			break
		}
		if time.Since(start) > harness.RunDeadline()/2 {
			p.waited = time.Since(start)
			break
		}
		time.Sleep(200 * time.Microsecond)
	}
	p.rr = <-done
	if p.rr.Stuck {
		Fail(p.rr.String())
	}
	return p
}

// expectL2Ran fails the spec unless runWhileL2Runs saw L2's counter move
// past floor during the run.
func (l *l1) expectL2Ran(p progress, floor uint32, what string) {
	GinkgoHelper()
	if !p.acted {
		Fail(fmt.Sprintf("%s: want L2's loop counter past %d while KVM_RUN runs, got %d after %v; KVM_RUN: %s; %s",
			what, floor, l.count(), p.waited.Round(time.Millisecond), p.rr, l.m.State(l.v)))
	}
}

// expectINTR fails the spec unless e is #VMEXIT(INTR) with L2 at its loop,
// as L1's exit number ordinal, and L2's handler having run handled times.
func (l *l1) expectINTR(e vmexit, ordinal, handled uint32, what string) {
	GinkgoHelper()
	if e.code != svmExitIntr {
		Fail(fmt.Sprintf("%s: want #VMEXIT(INTR) (exit code 0x60), L1 saw %s", what, l.describe(e)))
	}
	if e.ordinal != ordinal {
		Fail(fmt.Sprintf("%s: want L1's exit #%d (no other exit before it), L1 saw %s", what, ordinal, l.describe(e)))
	}
	if e.l2Handled != handled {
		want := fmt.Sprintf("L2's handler for the injected vector %#x to have run exactly once", guests.NestedL2Vector)
		if handled == 0 {
			want = fmt.Sprintf("L2's handler (vector %#x) never to have run: L1 injected nothing", guests.NestedL2Vector)
		}
		Fail(fmt.Sprintf("%s: want %s, L1 saw %s", what, want, l.describe(e)))
	}
	if e.exitIntInfo&exitIntInfoV != 0 {
		Fail(fmt.Sprintf("%s: want no event in delivery at the exit (EXITINTINFO.V = 0), L1 saw %s", what, l.describe(e)))
	}
	lo, hi := l.m.Sym("l2_loop"), l.m.Sym("l2_loop_end")
	if uint64(e.l2RIP) < lo || uint64(e.l2RIP) >= hi {
		Fail(fmt.Sprintf("%s: want L2's RIP in its loop [%s, %s), L1 saw %s", what, l.m.Addr(lo), l.m.Addr(hi), l.describe(e)))
	}
}

// msiWhileL2Runs is runWhileL2Runs with L1's interrupt (msi) as the act:
// it fails the spec unless L2 ran and KVM_SIGNAL_MSI reached a vCPU.
func (l *l1) msiWhileL2Runs(floor uint32, what string) progress {
	GinkgoHelper()
	var r kvm.Result
	p := l.runWhileL2Runs(floor, func() { r = l.msi() })
	l.expectL2Ran(p, floor, what)
	if !r.OK() || r.Ret < 1 {
		Fail(fmt.Sprintf("%s: KVM_SIGNAL_MSI (vector %#x to APIC ID 0): want a delivery (a positive count), got %s", what, guests.NestedL1Vector, r))
	}
	return p
}

// expectEINTR fails the spec unless a kicked KVM_RUN returned EINTR by
// itself (not through the watchdog) without L1 reporting anything.
func (l *l1) expectEINTR(rr kvm.RunResult, what string) {
	GinkgoHelper()
	if rr.Errno == unix.EINTR && !rr.DeadlinePassed {
		return
	}
	got := rr.String()
	if val, ok := l.m.Report(l.v); rr.OK() && ok {
		got += "; the guest reported: " + l.describeReport(val)
	}
	Fail(fmt.Sprintf("%s: want KVM_RUN = EINTR with L2 still running, got %s; %s", what, got, l.m.State(l.v)))
}

// expectGuestMode reads KVM_GET_NESTED_STATE and fails the spec unless the
// vCPU is in guest mode for vmcb12 = VMCB, without a pending VMRUN; it
// returns the state (size bytes of buffer).
func (l *l1) expectGuestMode(size int, what string) x86.NestedState {
	GinkgoHelper()
	st, r := x86.GetNestedState(l.v, size)
	if !r.OK() {
		Fail(fmt.Sprintf("%s: KVM_GET_NESTED_STATE (%d-byte buffer): want 0, got %s", what, size, r))
	}
	flags := st.Flags()
	if flags&x86.KVM_STATE_NESTED_GUEST_MODE == 0 || flags&x86.KVM_STATE_NESTED_RUN_PENDING != 0 || st.Format() != x86.KVM_STATE_NESTED_FORMAT_SVM {
		Fail(fmt.Sprintf("%s: KVM_GET_NESTED_STATE: want format SVM (1) with flags GUEST_MODE and not RUN_PENDING, got format %d flags %s; %s",
			what, st.Format(), x86.NestedFlagNames(flags), l.m.State(l.v)))
	}
	if vmcb := l.m.Sym("VMCB"); st.SVMVMCBPA() != vmcb {
		Fail(fmt.Sprintf("%s: KVM_GET_NESTED_STATE hdr.svm.vmcb_pa: want %s (L1's VMCB), got %#x", what, l.m.Addr(vmcb), st.SVMVMCBPA()))
	}
	if want := uint32(x86.SizeofNestedStateHeader + x86.KVM_STATE_NESTED_SVM_VMCB_SIZE); st.Size() != want {
		Fail(fmt.Sprintf("%s: KVM_GET_NESTED_STATE size: want %#x (header and one VMCB), got %#x", what, want, st.Size()))
	}
	return st
}

// expectL2RIP fails the spec unless the vCPU's registers (L2's, in guest
// mode) have RIP in L2's loop.
func (l *l1) expectL2RIP(what string) {
	GinkgoHelper()
	lo, hi := l.m.Sym("l2_loop"), l.m.Sym("l2_loop_end")
	if rip := l.regs().Rip; rip < lo || rip >= hi {
		Fail(fmt.Sprintf("%s: want the vCPU's RIP (L2's, in guest mode) in L2's loop [%s, %s), got %s; %s", what, l.m.Addr(lo), l.m.Addr(hi), l.m.Addr(rip), l.m.State(l.v)))
	}
}

func specImmediateExitAtVMRUN() {
	l := newL1(true)
	l.runToReady()
	// L1 holds interrupts back (GIF = 0, IF = 1): the MSI stays pending
	// in its LAPIC until VMRUN sets GIF.
	l.expectMSI("before L1's VMRUN")
	e := l.runToVMExit("L1's VMRUN with its own interrupt pending")
	AddReportEntry("first #VMEXIT", l.describe(e))

	if e.code != svmExitIntr {
		Fail(fmt.Sprintf("VMRUN with EVENTINJ while L1's interrupt is pending: want #VMEXIT(INTR) (exit code 0x60) right after L2's entry, L1 saw %s", l.describe(e)))
	}
	handler := l.m.Sym("l2_handler")
	delivered := e.exitIntInfo&exitIntInfoV == 0 && (e.l2Handled > 0 || uint64(e.l2RIP) == handler)
	if !delivered {
		why := "EVENTINJ was lost: L2 never reached its handler"
		if e.exitIntInfo&exitIntInfoV != 0 {
			why = "KVM exited to L1 before delivering EVENTINJ (it is back in EXITINTINFO): L2 was not entered"
		}
		Fail(fmt.Sprintf("VMRUN with EVENTINJ (vector %#x) while L1's interrupt is pending: want the injection delivered before the #VMEXIT (L2 at or past its handler %s, EXITINTINFO empty), %s; L1 saw %s",
			guests.NestedL2Vector, l.m.Addr(handler), why, l.describe(e)))
	}
	if e.l2Count > immediateExitBound {
		Fail(fmt.Sprintf("VMRUN with L1's interrupt pending: want the #VMEXIT(INTR) right after L2's entry (at most %d L2 loop iterations), L2 had counted %d; L1 saw %s",
			immediateExitBound, e.l2Count, l.describe(e)))
	}

	// L1 takes its interrupt and runs L2 again: L2's handler runs (if it
	// had not yet), returns to the loop, and a second interrupt brings L1
	// back with the handler having run exactly once.
	p := l.msiWhileL2Runs(e.l2Count, "L2 after L1 took its interrupt and ran it again")
	e2 := l.vmexitFrom(p.rr, "a second interrupt for L1 while L2 runs")
	AddReportEntry("second #VMEXIT", l.describe(e2))
	l.expectINTR(e2, 2, 1, "a second interrupt for L1 while L2 runs, after the immediate exit")
}

func specInterruptWhileL2Spins() {
	l := newL1(false)
	l.runToReady()
	floor := uint32(0)
	for i := uint32(1); i <= 2; i++ {
		what := fmt.Sprintf("L1's interrupt %d while L2 spins", i)
		p := l.msiWhileL2Runs(floor, what)
		e := l.vmexitFrom(p.rr, what)
		AddReportEntry(fmt.Sprintf("#VMEXIT %d", i), l.describe(e))
		l.expectINTR(e, i, 0, what)
		if e.l2Count < p.seen {
			Fail(fmt.Sprintf("%s: want L2's count at the exit at least %d (what it was when the MSI was sent), L1 saw %s", what, p.seen, l.describe(e)))
		}
		floor = e.l2Count
	}
}

func specKicksWhileL2Runs() {
	l := newL1(false)
	size := l.requireNestedState()
	guestModeCap := l.sys.CheckExtension(x86.KVM_CAP_X86_GUEST_MODE)
	AddReportEntry("KVM_CAP_X86_GUEST_MODE", guestModeCap.String())
	l.runToReady()
	floor := uint32(0)
	for i := 1; i <= 3; i++ {
		what := fmt.Sprintf("kick %d while L2 runs", i)
		p := l.runWhileL2Runs(floor, func() { l.v.Kick() })
		l.expectL2Ran(p, floor, what)
		l.expectEINTR(p.rr, what)
		if !p.rr.Interrupted() {
			Fail(fmt.Sprintf("%s: want exit_reason KVM_EXIT_INTR (a signal ended the run), got %s", what, p.rr))
		}
		flags := l.v.Run().Flags()
		if guestModeCap.OK() && guestModeCap.Ret > 0 && flags&x86.KVM_RUN_X86_GUEST_MODE == 0 {
			Fail(fmt.Sprintf("%s: want kvm_run->flags with KVM_RUN_X86_GUEST_MODE (%#x; KVM_CAP_X86_GUEST_MODE = %s), got %#x", what, x86.KVM_RUN_X86_GUEST_MODE, guestModeCap, flags))
		}
		l.expectGuestMode(size, what)
		l.expectL2RIP(what)
		n := l.count()
		if n < p.seen {
			Fail(fmt.Sprintf("%s: want L2's count at least %d (what it was at the kick), got %d", what, p.seen, n))
		}

		// immediate_exit is still 1 (the kick set it): KVM_RUN must not
		// enter the guest at all.
		what = fmt.Sprintf("KVM_RUN with immediate_exit = 1 after kick %d", i)
		rr := l.m.Run(l.v)
		if rr.Errno != unix.EINTR {
			Fail(fmt.Sprintf("%s: want EINTR, got %s; %s", what, rr, l.m.State(l.v)))
		}
		if after := l.count(); after != n {
			Fail(fmt.Sprintf("%s: want L2's count unchanged at %d (no entry), got %d", what, n, after))
		}
		l.expectGuestMode(size, what)
		l.v.Run().SetImmediateExit(0)
		floor = n
	}
	if guestModeCap.OK() && guestModeCap.Ret > 0 {
		AddReportEntry("kvm_run flags", "KVM_RUN_X86_GUEST_MODE set after every kick")
	} else {
		AddReportEntry("kvm_run flags", "no KVM_CAP_X86_GUEST_MODE (before 6.11): kvm_run->flags not checked for guest mode")
	}

	// L1 saw none of it: its first exit is the interrupt sent now, with L2
	// having gone on from where the kicks left it.
	p := l.msiWhileL2Runs(floor, "L2 after the kicks")
	e := l.vmexitFrom(p.rr, "L1's interrupt after the kicks")
	AddReportEntry("#VMEXIT", l.describe(e))
	l.expectINTR(e, 1, 0, "L1's interrupt after three kicks and immediate exits (none of which L1 may see)")
}

func specNestedStateRoundTrip() {
	l := newL1(false)
	size := l.requireNestedState()
	l.runToReady()
	p := l.runWhileL2Runs(0, func() { l.v.Kick() })
	l.expectL2Ran(p, 0, "kick while L2 runs")
	l.expectEINTR(p.rr, "kick while L2 runs")
	st := l.expectGuestMode(size, "after the kick")
	AddReportEntry("nested state", describeSVMState(st))
	before := l.regs()
	l.expectL2RIP("after the kick")

	if r := x86.SetNestedState(l.v, st); !r.OK() {
		Fail(fmt.Sprintf("KVM_SET_NESTED_STATE of the state KVM_GET_NESTED_STATE gave (flags %s, vmcb_pa %#x): want 0, got %s; %s",
			x86.NestedFlagNames(st.Flags()), st.SVMVMCBPA(), r, l.m.State(l.v)))
	}
	again := l.expectGuestMode(size, "after KVM_SET_NESTED_STATE")
	AddReportEntry("nested state after KVM_SET_NESTED_STATE", describeSVMState(again))
	n := int(st.Size())
	if !bytes.Equal(again[:n], st[:n]) {
		Fail(fmt.Sprintf("KVM_GET_NESTED_STATE after KVM_SET_NESTED_STATE of its own state: want the same %d bytes, got differences at %s", n, diffOffsets(st[:n], again[:n])))
	}
	after := l.regs()
	if *after != *before {
		Fail(fmt.Sprintf("the vCPU's registers (L2's) across the nested-state round trip: want them unchanged, got rip %#x -> %#x, rsp %#x -> %#x, rflags %#x -> %#x",
			before.Rip, after.Rip, before.Rsp, after.Rsp, before.Rflags, after.Rflags))
	}
	l.v.Run().SetImmediateExit(0)

	n0 := l.count()
	p = l.msiWhileL2Runs(n0, "L2 after KVM_SET_NESTED_STATE")
	e := l.vmexitFrom(p.rr, "L1's interrupt after the nested-state round trip")
	AddReportEntry("#VMEXIT", l.describe(e))
	l.expectINTR(e, 1, 0, "L1's interrupt after the nested-state round trip")
	if e.l2Count <= n0 {
		Fail(fmt.Sprintf("after the nested-state round trip: want L2's count past %d (it went on), L1 saw %s", n0, l.describe(e)))
	}
}

// diffOffsets lists the first byte offsets where a and b differ (offsets
// from the start of struct kvm_nested_state; the data starts at 0x80, its
// save area at 0x80 + 0x400).
func diffOffsets(a, b []byte) string {
	var out []string
	for i := range a {
		if a[i] != b[i] {
			out = append(out, fmt.Sprintf("%#x (%#02x -> %#02x)", i, a[i], b[i]))
			if len(out) == 8 {
				out = append(out, "...")
				break
			}
		}
	}
	return strings.Join(out, ", ")
}

// describeSVMState renders the vmcb12 control fields of an SVM nested
// state that matter to these specs.
func describeSVMState(st x86.NestedState) string {
	d := st.Data()
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(d[off:]) }
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(d[off:]) }
	return fmt.Sprintf("flags %s, vmcb_pa %#x; vmcb12 control: intercepts misc1 %#x misc2 %#x, int_ctl %#x, EVENTINJ %#x, EXITINTINFO %#x, exit code %#x; L1 save: rip %#x rflags %#x cr0 %#x efer %#x",
		x86.NestedFlagNames(st.Flags()), st.SVMVMCBPA(), u32(0x0C), u32(0x10), u32(0x60), u64(0xA8), u64(0x88), u64(0x70),
		u64(0x400+0x178), u64(0x400+0x170), u64(0x400+0x158), u64(0x400+0xD0))
}
