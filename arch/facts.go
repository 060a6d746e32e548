package arch

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// Per-architecture expectations the arch-neutral specs need: which exits
// KVM completes on the next KVM_RUN and how far the PC moves, whether
// KVM_GET/SET_REGS exists, what KVM_GET/SET_MP_STATE accept and report, and
// whether a pending signal stops KVM_RUN before the guest runs
// (kernel-semantics.md §2–§4). Each architecture package returns them from
// pure methods on its Arch type, so the values exist (and are unit-tested)
// on every GOARCH.

// Facts is what an architecture says about the kernel's behaviour. Each
// method returns a fresh value: there is no shared mutable table.
type Facts interface {
	// Completions lists the userspace exits KVM completes at the start of
	// the next KVM_RUN.
	Completions() CompletionFacts
	// RegsIoctl says whether KVM_GET_REGS / KVM_SET_REGS exist.
	RegsIoctl() RegsFacts
	// MPState says what KVM_GET_MP_STATE / KVM_SET_MP_STATE do.
	MPState() MPStateFacts
	// Signals says when a pending signal ends KVM_RUN.
	Signals() SignalFacts
	// VCPUMmap says what the vCPU fd's mapping holds besides kvm_run.
	VCPUMmap() MmapFacts
}

// Source is where the kernel implements a behaviour and since when, for a
// spec's failure message.
type Source struct {
	// File is the path in the kernel tree ("arch/arm64/kvm/mmio.c").
	File string
	// Function is the function that implements it.
	Function string
	// Since is the first Linux version with the behaviour ("5.16").
	Since string
	// Note carries hedges and version caveats ("hedge: ...", "5.11–5.12
	// differ: ..."), empty when there are none.
	Note string
}

// String renders the source as "file function (Linux since+; note)".
func (s Source) String() string {
	var b strings.Builder
	b.WriteString(s.File)
	if s.Function != "" {
		b.WriteString(" ")
		b.WriteString(s.Function)
	}
	var paren []string
	if s.Since != "" {
		paren = append(paren, "Linux "+s.Since+"+")
	}
	if s.Note != "" {
		paren = append(paren, s.Note)
	}
	if len(paren) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(paren, "; "))
	}
	return b.String()
}

// Access is the direction of an exit that has one.
type Access uint8

// Directions of MMIO and IOCSR exits.
const (
	// AccessNone is an exit without a direction (SBI call, hypercall).
	AccessNone Access = iota
	// AccessRead is a guest load.
	AccessRead
	// AccessWrite is a guest store.
	AccessWrite
)

// String names the access.
func (a Access) String() string {
	switch a {
	case AccessNone:
		return "call"
	case AccessRead:
		return "read"
	case AccessWrite:
		return "write"
	}
	return fmt.Sprintf("Access(%d)", uint8(a))
}

// Completion is one userspace exit that KVM completes at the start of the
// next KVM_RUN — before the immediate_exit check, so an immediate run
// (immediate_exit = 1) applies it and returns EINTR (kernel-semantics.md §3).
// PC distances are for the test guests' instruction: a 4-byte instruction
// that is not compressed (riscv) and not in a branch delay slot (mips).
type Completion struct {
	// ExitReason is the kvm_run exit reason (uapi.KVM_EXIT_MMIO, ...).
	ExitReason uapi.ExitReason
	// Access is the direction this entry describes (AccessNone when the
	// exit has none).
	Access Access
	// Spec is the kernel-semantics.md line that states this completion
	// ("CMP-4"), the label of the specs that check it; empty where no
	// line of its own does (CMP-13 and CMP-14 cover every completion).
	Spec string
	// Effect says what the completion writes ("Rt = mmio.data").
	Effect string
	// PCPastAtExit is true when, during the exit, the PC already points
	// past the instruction (it moved at emulation time).
	PCPastAtExit bool
	// PCAdvance is how many bytes the PC moves during the completing
	// KVM_RUN (0 when it had already moved, or does not move).
	PCAdvance uint64
	// OnceOnly is true when a second KVM_RUN, with the stale exit_reason
	// still naming this exit, applies nothing again.
	OnceOnly bool
	// Source is where the kernel completes it.
	Source Source

	// What the completion does when userspace changed the vCPU between
	// the exit and the next KVM_RUN (CMP-14), on the kernel path that
	// normally completes this exit (Path; the others are in OtherPaths).
	//
	// Path names that path where the exit has more than one ("fast PIO",
	// "VMX"); empty where it has one.
	Path string
	// PathVendor is the x86 vendor module that path belongs to
	// ("kvm_intel"); empty when any host can take it.
	PathVendor string
	// OnPCChange is what the completion does when userspace moved the PC
	// (KVM_SET_REGS, KVM_SET_ONE_REG) during the exit.
	OnPCChange PCChange
	// OnRegChange is what the completion does to a destination register
	// that userspace changed during the exit (the PC left alone).
	OnRegChange RegChange
	// PCChangeSource is where the kernel decides both, and since when.
	PCChangeSource Source
	// OtherPaths are the other kernel paths that complete the same exit
	// (x86: the instruction emulator, the other vendor module), each with
	// its own answers. A spec accepts what each path is written to do and
	// records which one ran.
	OtherPaths []CompletionPath
}

// CompletionPath is one kernel implementation of a completion and what it
// does when userspace changed the vCPU during the exit.
type CompletionPath struct {
	// Name says which path it is ("fast PIO", "emulator", "VMX", "SVM").
	Name string
	// Vendor is the x86 vendor module the path belongs to ("kvm_intel",
	// "kvm_amd"); empty when any host can take it.
	Vendor string
	// VendorParam is the vendor module's parameter that selects the path,
	// as it reads in /sys/module/<Vendor>/parameters ("nrips=Y"; booleans
	// compare as Y/N whether the file says Y/N or 1/0); empty for none.
	VendorParam string
	// PCPastAtExit is true when on this path the PC already points past
	// the instruction during the exit.
	PCPastAtExit bool
	// OnPCChange, OnRegChange and Source are the path's answers
	// (Completion.OnPCChange, OnRegChange, PCChangeSource).
	OnPCChange  PCChange
	OnRegChange RegChange
	Source      Source
}

// Paths lists every kernel path of the completion, the usual one first.
func (c Completion) Paths() []CompletionPath {
	first := CompletionPath{Name: c.Path, Vendor: c.PathVendor, PCPastAtExit: c.PCPastAtExit,
		OnPCChange: c.OnPCChange, OnRegChange: c.OnRegChange, Source: c.PCChangeSource}
	return append([]CompletionPath{first}, c.OtherPaths...)
}

// PCChange is what a completion does when userspace moved the PC during
// the exit (kernel-semantics.md CMP-14).
type PCChange uint8

// The answers. The zero value means the facts do not say.
const (
	// PCChangeUnknown: the facts do not say (a facts test rejects it).
	PCChangeUnknown PCChange = iota
	// Dropped: the completion is dropped when the PC moved: no register
	// is written and the PC stays where userspace put it (x86
	// complete_fast_pio_in: kvm_is_linear_rip against cui_linear_rip).
	Dropped
	// PCOverwritten: the completion is applied and writes the PC it
	// computed when it decoded the instruction over the userspace value
	// (mips io_pc, x86 emulator ctxt->eip, SVM next_rip).
	PCOverwritten
	// AppliedAtNewPC: the completion is applied and advances the PC
	// relative to the PC userspace set (arm64 kvm_incr_pc, riscv sepc +=
	// insn_len, VMX VM_EXIT_INSTRUCTION_LEN).
	AppliedAtNewPC
	// PCKept: the completion is applied but does not touch the PC, which
	// had already moved past the instruction at exit time; the PC stays
	// where userspace put it (ppc MMIO loads and hcalls).
	PCKept
	// SkipsAtNewPC: the completion is applied and skips whatever
	// instruction it decodes at the PC userspace set, by that
	// instruction's length (x86 SVM without NRIPS:
	// kvm_emulate_instruction(EMULTYPE_SKIP)).
	SkipsAtNewPC
)

// String names the answer for a report table.
func (p PCChange) String() string {
	switch p {
	case PCChangeUnknown:
		return "unknown"
	case Dropped:
		return "dropped"
	case PCOverwritten:
		return "PC overwritten"
	case AppliedAtNewPC:
		return "applied at the new PC"
	case PCKept:
		return "applied, PC kept"
	case SkipsAtNewPC:
		return "skips the instruction at the new PC"
	}
	return fmt.Sprintf("PCChange(%d)", uint8(p))
}

// RegChange is what a completion does to a destination register that
// userspace changed during the exit.
type RegChange uint8

// The answers. The zero value means the facts do not say.
const (
	// RegChangeUnknown: the facts do not say (a facts test rejects it).
	RegChangeUnknown RegChange = iota
	// RegWritten: the completion writes the destination register as the
	// instruction would, over the value userspace set; a load that merges
	// (x86 AL/AX, mips lwl) merges into the userspace value.
	RegWritten
	// RegKept: the completion's register write is lost and the register
	// keeps the value userspace set (x86 emulator: KVM_SET_REGS
	// invalidates its register cache, so the result it stores there is
	// never written back).
	RegKept
	// RegNone: the completion writes no register (stores, OUT, WRMSR).
	RegNone
)

// String names the answer for a report table.
func (r RegChange) String() string {
	switch r {
	case RegChangeUnknown:
		return "unknown"
	case RegWritten:
		return "written over it"
	case RegKept:
		return "userspace value kept"
	case RegNone:
		return "no register"
	}
	return fmt.Sprintf("RegChange(%d)", uint8(r))
}

// Name renders the exit for a message: "MMIO read" (KVM_EXIT_MMIO, a read).
func (c Completion) Name() string {
	if c.Access == AccessNone {
		return c.ExitReason.String()
	}
	return fmt.Sprintf("%s %s", c.ExitReason, c.Access)
}

// CompletionFacts lists an architecture's completed exits. An exit that is
// not listed needs no completion: its effect was applied before KVM_RUN
// returned (or userspace applies it itself, as on s390).
type CompletionFacts struct {
	Exits []Completion
}

// Lookup finds the completion of an exit with the given direction
// (AccessNone for exits without one).
func (f CompletionFacts) Lookup(exitReason uapi.ExitReason, access Access) (Completion, bool) {
	for _, c := range f.Exits {
		if c.ExitReason == exitReason && c.Access == access {
			return c, true
		}
	}
	return Completion{}, false
}

// RegsFacts says whether KVM_GET_REGS / KVM_SET_REGS are implemented.
type RegsFacts struct {
	// Supported is true when both ioctls work.
	Supported bool
	// Errno is what both return where !Supported (EINVAL on arm64, riscv).
	Errno unix.Errno
	// Source is the kernel's kvm_arch_vcpu_ioctl_get_regs.
	Source Source
}

// MPStateRule is one value KVM_SET_MP_STATE accepts.
type MPStateRule struct {
	// State is the mp_state value (uapi.KVM_MP_STATE_*).
	State uapi.MPState
	// Requires names the condition without which SET rejects the value
	// with the architecture's RejectErrno ("KVM_CAP_RISCV_MP_STATE_RESET
	// enabled"); empty when it is always accepted.
	Requires string
	// Source is where SET handles it and since when.
	Source Source
}

// MPStateFacts says what KVM_GET_MP_STATE / KVM_SET_MP_STATE do on an
// architecture (kernel-semantics.md §4).
type MPStateFacts struct {
	// Supported is true when KVM_CAP_MP_STATE is reported and the ioctls
	// are implemented.
	Supported bool
	// UnsupportedErrno is what both ioctls fail with where !Supported
	// (mips ENOTTY, ppc EINVAL).
	UnsupportedErrno unix.Errno
	// GetReturnsState is true when KVM_GET_MP_STATE returns the state as
	// the ioctl's positive return value and leaves the struct unwritten
	// (s390).
	GetReturnsState bool
	// InitialFirst and InitialSecond are what GET reports on the first and
	// the second vCPU created in a VM (vcpu ids 0 and 1), after the
	// architecture's InitVCPU without PowerOff.
	InitialFirst, InitialSecond uapi.MPState
	// PowerOffAtInit is true when InitVCPU honours InitOptions.PowerOff;
	// GET then reports InitialPoweredOff.
	PowerOffAtInit    bool
	InitialPoweredOff uapi.MPState
	// Set lists the values KVM_SET_MP_STATE accepts.
	Set []MPStateRule
	// RejectErrno is what SET fails with for any other value.
	RejectErrno unix.Errno
	// Source is where GET and SET are implemented; its Note carries side
	// effects (s390: the first SET switches the VM to user CPU-state
	// control).
	Source Source
}

// SetRule finds the rule for a value SET accepts (possibly under a
// condition).
func (f MPStateFacts) SetRule(state uapi.MPState) (MPStateRule, bool) {
	for _, r := range f.Set {
		if r.State == state {
			return r, true
		}
	}
	return MPStateRule{}, false
}

// SetErrno is the errno KVM_SET_MP_STATE(state) gives on a VM that meets
// none of the rules' conditions: 0 for a value accepted unconditionally.
func (f MPStateFacts) SetErrno(state uapi.MPState) unix.Errno {
	if !f.Supported {
		return f.UnsupportedErrno
	}
	if r, ok := f.SetRule(state); ok && r.Requires == "" {
		return 0
	}
	return f.RejectErrno
}

// MmapFacts says how many pages KVM_GET_VCPU_MMAP_SIZE covers at least:
// struct kvm_run's page, plus the pages an architecture always maps after
// it (virt/kvm/kvm_main.c kvm_dev_ioctl; the coalesced MMIO ring page,
// under CONFIG_KVM_MMIO, is not counted).
type MmapFacts struct {
	// MinPages is the number of pages (x86: 2, kvm_run and the PIO data
	// page at KVM_PIO_PAGE_OFFSET = 1).
	MinPages int
	// Source is where the architecture's pages are defined.
	Source Source
}

// RunPageOnly is the vCPU mmap of every architecture but x86: kvm_run's
// page, with nothing kvm_dev_ioctl always adds after it (the PIO page is
// CONFIG_X86's).
func RunPageOnly() MmapFacts {
	return MmapFacts{MinPages: 1,
		Source: Source{File: "virt/kvm/kvm_main.c", Function: "kvm_dev_ioctl (KVM_GET_VCPU_MMAP_SIZE)", Since: "2.6.22", Note: "hedge on the version"}}
}

// SignalFacts says when an unblocked signal that is already pending when
// KVM_RUN starts ends the call (EINTR with KVM_EXIT_INTR).
type SignalFacts struct {
	// SeenBeforeGuest is true when KVM_RUN returns before the guest
	// executes any instruction; false when the guest runs until its next
	// exit first (mips).
	SeenBeforeGuest bool
	// OlderKernelsDiffer is true when kernels before Source.Since did the
	// opposite; a spec then accepts both and reports which it saw.
	OlderKernelsDiffer bool
	// Source is where the run loop checks for signals.
	Source Source
}

// Accepts reports whether observing seenBeforeGuest conforms on some
// documented kernel version.
func (f SignalFacts) Accepts(seenBeforeGuest bool) bool {
	return seenBeforeGuest == f.SeenBeforeGuest || f.OlderKernelsDiffer
}

// Incomplete lists what the facts leave unsaid about CMP-14: every path of
// every completion needs a PC and a register answer and a full source
// (file, function, first version). Each architecture's facts test checks
// that it is empty.
func (f CompletionFacts) Incomplete() []string {
	var missing []string
	for _, c := range f.Exits {
		paths := c.Paths()
		for i, p := range paths {
			what := c.Name()
			if p.Name != "" {
				what += " (" + p.Name + ")"
			}
			switch {
			case p.OnPCChange == PCChangeUnknown || p.OnPCChange > SkipsAtNewPC:
				missing = append(missing, what+": no OnPCChange")
			case p.OnRegChange == RegChangeUnknown || p.OnRegChange > RegNone:
				missing = append(missing, what+": no OnRegChange")
			case p.Source.File == "" || p.Source.Function == "" || p.Source.Since == "":
				missing = append(missing, what+": incomplete source "+p.Source.String())
			case len(paths) > 1 && p.Name == "":
				missing = append(missing, fmt.Sprintf("%s: path %d of %d has no name", what, i+1, len(paths)))
			case p.OnPCChange == PCKept && !p.PCPastAtExit:
				missing = append(missing, what+": PCKept, but the PC is at the instruction during the exit")
			}
		}
	}
	return missing
}
