package arch

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
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
	ExitReason uint32
	// Access is the direction this entry describes (AccessNone when the
	// exit has none).
	Access Access
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
}

// Name renders the exit for a message: "exit 6 read".
func (c Completion) Name() string {
	if c.Access == AccessNone {
		return fmt.Sprintf("exit %d", c.ExitReason)
	}
	return fmt.Sprintf("exit %d %s", c.ExitReason, c.Access)
}

// CompletionFacts lists an architecture's completed exits. An exit that is
// not listed needs no completion: its effect was applied before KVM_RUN
// returned (or userspace applies it itself, as on s390).
type CompletionFacts struct {
	Exits []Completion
}

// Lookup finds the completion of an exit with the given direction
// (AccessNone for exits without one).
func (f CompletionFacts) Lookup(exitReason uint32, access Access) (Completion, bool) {
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
	State uint32
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
	InitialFirst, InitialSecond uint32
	// PowerOffAtInit is true when InitVCPU honours InitOptions.PowerOff;
	// GET then reports InitialPoweredOff.
	PowerOffAtInit    bool
	InitialPoweredOff uint32
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
func (f MPStateFacts) SetRule(state uint32) (MPStateRule, bool) {
	for _, r := range f.Set {
		if r.State == state {
			return r, true
		}
	}
	return MPStateRule{}, false
}

// SetErrno is the errno KVM_SET_MP_STATE(state) gives on a VM that meets
// none of the rules' conditions: 0 for a value accepted unconditionally.
func (f MPStateFacts) SetErrno(state uint32) unix.Errno {
	if !f.Supported {
		return f.UnsupportedErrno
	}
	if r, ok := f.SetRule(state); ok && r.Requires == "" {
		return 0
	}
	return f.RejectErrno
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
