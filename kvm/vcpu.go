package kvm

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// VCPU is one vCPU: its fd, its mmap'd kvm_run, and the locked OS thread that
// issues every ioctl on it.
type VCPU struct {
	vm        *VM
	id        uint32
	fd        int
	run       *Run
	thread    *thread
	stuck     atomic.Bool // a KVM_RUN never returned despite kicks
	closeOnce sync.Once

	// The bounded KVM_RUN's reusable task and its result: one RunBounded
	// at a time per vCPU (a second caller would be a bug in any case).
	// Only the vCPU thread writes runRes, and the caller reads it once
	// the task is done: a field each side wrote would cross between the
	// two CPUs' caches twice on every run.
	runTask *task
	runRes  RunResult
}

// kvmRun is the runTask's closure: one KVM_RUN on the vCPU thread.
func (v *VCPU) kvmRun() {
	v.runRes = RunResult{Result: ioctl(v.fd, uapi.KVM_RUN, 0), ExitReason: v.run.ExitReason()}
}

// ErrStuck is why a VCPU's calls go unanswered once one of its KVM_RUNs did
// not come back even after repeated kicks: its thread is abandoned. It is
// the harness's outcome (Result.Unanswered), never an errno.
var ErrStuck = errors.New("vCPU abandoned: an earlier KVM_RUN never returned")

// ID is the vcpu id given to KVM_CREATE_VCPU.
func (v *VCPU) ID() uint32 { return v.id }

// Fd is the raw vCPU file descriptor.
func (v *VCPU) Fd() int { return v.fd }

// VM is the VM the vCPU belongs to.
func (v *VCPU) VM() *VM { return v.vm }

// Run is the typed view of the vCPU's kvm_run.
func (v *VCPU) Run() *Run { return v.run }

// TID is the OS thread id that runs this vCPU (the tgkill target).
func (v *VCPU) TID() int { return v.thread.tid }

// Stuck reports whether a KVM_RUN on this vCPU never returned.
func (v *VCPU) Stuck() bool { return v.stuck.Load() }

// Do runs f on the vCPU's thread, for code that must run there (signal mask
// manipulation with pthread_sigmask, sigtimedwait). It returns false without
// running f if the thread is stuck in KVM_RUN.
func (v *VCPU) Do(f func()) bool {
	if v.stuck.Load() {
		return false
	}
	v.thread.do(f)
	return true
}

// Ioctl issues a vCPU ioctl on the vCPU's thread.
// The memory behind arg is handed to another goroutine (the vCPU's
// thread), so it escapes to the heap, where Go never moves it.
func (v *VCPU) Ioctl(req uintptr, arg unsafe.Pointer) Result {
	r := NoAnswer(ErrStuck)
	v.Do(func() { r = ioctlPtr(v.fd, req, arg) })
	return r
}

// IoctlValue issues a vCPU ioctl whose argument is a plain value.
func (v *VCPU) IoctlValue(req uintptr, arg uintptr) Result {
	r := NoAnswer(ErrStuck)
	v.Do(func() { r = ioctl(v.fd, req, arg) })
	return r
}

// GetMPState is KVM_GET_MP_STATE. The struct is pre-filled with sentinel so
// a kernel that returns without writing it (s390 returns the state as the
// ioctl's value) is visible.
func (v *VCPU) GetMPState(sentinel uapi.MPState) (uapi.MPState, Result) {
	st := uapi.MPStateArg{State: uint32(sentinel)}
	r := v.Ioctl(uapi.KVM_GET_MP_STATE, unsafe.Pointer(&st))
	return uapi.MPState(st.State), r
}

// SetMPState is KVM_SET_MP_STATE.
func (v *VCPU) SetMPState(state uapi.MPState) Result {
	st := uapi.MPStateArg{State: uint32(state)}
	return v.Ioctl(uapi.KVM_SET_MP_STATE, unsafe.Pointer(&st))
}

// EnableCap is KVM_ENABLE_CAP on the vCPU fd.
func (v *VCPU) EnableCap(capability uint32, args ...uint64) Result {
	ec := newEnableCap(capability, args)
	return v.Ioctl(uapi.KVM_ENABLE_CAP, unsafe.Pointer(&ec))
}

// oneRegArg is KVM_GET/SET_ONE_REG's argument together with the value it
// points at. It lives on the heap (it escapes through Ioctl's
// unsafe.Pointer), so the kernel writes the value where Go will read it: a
// value on the caller's stack, known to the kernel only as an integer
// address, could be moved by a stack shrink while the caller waits for the
// vCPU thread (that lost an arm64 PC read once).
type oneRegArg struct {
	reg uapi.OneReg
	val uint64
}

// oneReg issues KVM_GET/SET_ONE_REG with a pinned argument: the kernel
// reaches a.val through an integer address (kvm_one_reg.addr), which the
// compiler cannot see, so a is pinned (runtime.Pinner) for the call.
func (v *VCPU) oneReg(req uintptr, id uint64, val uint64) (uint64, Result) {
	a := &oneRegArg{val: val}
	var pin runtime.Pinner
	pin.Pin(a)
	defer pin.Unpin()
	a.reg = uapi.OneReg{Id: id, Addr: uint64(uintptr(unsafe.Pointer(&a.val)))} //kvmconform:pinned
	r := v.Ioctl(req, unsafe.Pointer(&a.reg))
	return a.val, r
}

// GetOneReg is KVM_GET_ONE_REG for a register of up to 64 bits.
func (v *VCPU) GetOneReg(id uint64) (uint64, Result) {
	buf, r := v.oneReg(uapi.KVM_GET_ONE_REG, id, 0)
	return oneRegValue(id, buf), r
}

// SetOneReg is KVM_SET_ONE_REG for a register of up to 64 bits.
func (v *VCPU) SetOneReg(id uint64, val uint64) Result {
	_, r := v.oneReg(uapi.KVM_SET_ONE_REG, id, oneRegBuffer(id, val))
	return r
}

// oneRegValue extracts a register of the id's size from the 8-byte buffer the
// kernel wrote (at its start, in native byte order).
func oneRegValue(id uint64, buf uint64) uint64 {
	b := (*[8]byte)(unsafe.Pointer(&buf))
	switch (id & uapi.KVM_REG_SIZE_MASK) >> uapi.KVM_REG_SIZE_SHIFT {
	case 0:
		return uint64(b[0])
	case 1:
		return uint64(*(*uint16)(unsafe.Pointer(&b[0])))
	case 2:
		return uint64(*(*uint32)(unsafe.Pointer(&b[0])))
	}
	return buf
}

func oneRegBuffer(id uint64, val uint64) uint64 {
	var buf uint64
	b := (*[8]byte)(unsafe.Pointer(&buf))
	switch (id & uapi.KVM_REG_SIZE_MASK) >> uapi.KVM_REG_SIZE_SHIFT {
	case 0:
		b[0] = uint8(val)
	case 1:
		*(*uint16)(unsafe.Pointer(&b[0])) = uint16(val)
	case 2:
		*(*uint32)(unsafe.Pointer(&b[0])) = uint32(val)
	default:
		buf = val
	}
	return buf
}

// SetSignalMask is KVM_SET_SIGNAL_MASK with a kernel sigset of the given
// blocked signals (len = KernelSigsetSize).
func (v *VCPU) SetSignalMask(blocked ...unix.Signal) Result {
	return v.SetSignalMaskRaw(KernelSigsetSize, Sigset(blocked...))
}

// SetSignalMaskRaw is KVM_SET_SIGNAL_MASK with an explicit len field and
// sigset bytes, for specs that check the length rule.
func (v *VCPU) SetSignalMaskRaw(length uint32, set []byte) Result {
	buf := make([]byte, uapi.SizeofSignalMaskHeader+len(set)+8)
	*(*uint32)(unsafe.Pointer(&buf[0])) = length
	copy(buf[uapi.SizeofSignalMaskHeader:], set)
	return v.Ioctl(uapi.KVM_SET_SIGNAL_MASK, unsafe.Pointer(&buf[0]))
}

// ClearSignalMask is KVM_SET_SIGNAL_MASK with a NULL argument: KVM_RUN then
// runs with the thread's own mask.
func (v *VCPU) ClearSignalMask() Result {
	return v.IoctlValue(uapi.KVM_SET_SIGNAL_MASK, 0)
}

// Kick makes the vCPU leave KVM_RUN, race-free (460df4c1fc7c, Linux 4.11):
// store immediate_exit = 1, then tgkill the vCPU's thread with KickSignal. If
// the thread is inside KVM_RUN the signal forces an exit (KVM_EXIT_INTR); if
// not, the next KVM_RUN sees immediate_exit and returns EINTR without
// entering the guest. The caller clears immediate_exit afterwards.
func (v *VCPU) Kick() error {
	v.run.SetImmediateExit(1)
	return v.Signal(KickSignal)
}

// Signal sends sig to the vCPU's thread only (tgkill), without touching
// immediate_exit.
func (v *VCPU) Signal(sig unix.Signal) error {
	if err := unix.Tgkill(v.thread.pid, v.thread.tid, sig); err != nil {
		return fmt.Errorf("tgkill vCPU %d thread %d with %v: %w", v.id, v.thread.tid, sig, err)
	}
	return nil
}

// RunResult is what one bounded KVM_RUN returned. The kernel's answer
// (Result: return value and errno) is kept apart from the harness's own
// outcomes: DeadlinePassed (the watchdog had to kick) and Stuck (no answer
// at all, Result.Unanswered set).
type RunResult struct {
	Result                         // KVM_RUN's return value and errno; Unanswered when Stuck
	ExitReason     uapi.ExitReason // run->exit_reason right after the call (or when abandoned)
	ImmediateExit  uint8           // run->immediate_exit when the call was issued
	Deadline       time.Duration
	DeadlinePassed bool // the watchdog had to kick: the call did not end by itself in time
	Stuck          bool // the call never returned, even after kicks; the vCPU is abandoned
	Elapsed        time.Duration
}

// String renders the result for a failure message: the harness's outcome
// first, then what the kernel returned.
func (rr RunResult) String() string {
	elapsed := rr.Elapsed.Round(time.Microsecond)
	switch {
	case rr.Stuck:
		return fmt.Sprintf("STUCK: KVM_RUN (immediate_exit = %d) did not return within %v, nor during %v of repeated kicks; its thread is abandoned, so there is no return value or errno; exit_reason %d (%s) in kvm_run",
			rr.ImmediateExit, rr.Deadline, (rr.Elapsed - rr.Deadline).Round(time.Millisecond), rr.ExitReason, rr.ExitReason)
	case rr.DeadlinePassed:
		s := fmt.Sprintf("deadline passed: KVM_RUN did not return by itself within %v", rr.Deadline)
		if rr.ImmediateExit != 0 {
			s += " although immediate_exit was 1 (the kernel ignored it and entered the guest)"
		}
		return s + fmt.Sprintf("; after the watchdog's kick it returned %s, exit_reason %d (%s), %v",
			rr.Result, rr.ExitReason, rr.ExitReason, elapsed)
	}
	return fmt.Sprintf("KVM_RUN = %s, exit_reason %d (%s), %v", rr.Result, rr.ExitReason, rr.ExitReason, elapsed)
}

// Interrupted reports an EINTR return with exit_reason KVM_EXIT_INTR: the
// signature of a signal (as opposed to an immediate exit, which leaves
// exit_reason stale).
func (rr RunResult) Interrupted() bool {
	return rr.Errno == unix.EINTR && rr.ExitReason == uapi.KVM_EXIT_INTR
}

// KickGrace is how long RunFor keeps re-kicking after the deadline before it
// declares the vCPU stuck.
const KickGrace = 5 * time.Second

// RunFor is RunBounded(d, KickGrace).
func (v *VCPU) RunFor(d time.Duration) RunResult { return v.RunBounded(d, KickGrace) }

// RunBounded issues one KVM_RUN bounded by d. If the call has not returned
// when d passes, a watchdog kicks the vCPU (immediate_exit, then tgkill),
// repeating the signal every 50 ms for grace; the result then says
// DeadlinePassed, and immediate_exit is restored to the value it had before
// the call. If even that fails the result says Stuck: the vCPU is abandoned
// (see Abandoned) and refuses further calls, and its fd, its kvm_run
// mapping and its VM's memory and fd stay until the process exits, because
// the thread may still come back out of KVM_RUN and touch them.
func (v *VCPU) RunBounded(d, grace time.Duration) RunResult {
	before := v.run.ImmediateExit()
	if v.stuck.Load() {
		return RunResult{Result: NoAnswer(ErrStuck), ImmediateExit: before, Deadline: d, Stuck: true}
	}
	if v.runTask == nil {
		v.runTask = &task{f: v.kvmRun, wake: make(chan struct{}, 1)}
	}
	start := time.Now()
	result := func() RunResult {
		res := v.runRes
		res.ImmediateExit, res.Deadline, res.Elapsed = before, d, time.Since(start)
		return res
	}
	tk := v.runTask
	v.thread.restart(tk)
	if tk.wait(d, v.thread.spin) {
		return result()
	}
	v.Kick()
	giveUp := start.Add(d + grace)
	for {
		if tk.wait(50*time.Millisecond, 0) {
			res := result()
			v.run.SetImmediateExit(before)
			v.drainKick()
			res.DeadlinePassed = res.Errno == unix.EINTR
			return res
		}
		if !time.Now().Before(giveUp) {
			// The thread may still write runRes; the caller gets a
			// result that says nothing about what the kernel returned.
			v.abandon()
			return RunResult{Result: NoAnswer(ErrStuck), ExitReason: v.run.ExitReason(), ImmediateExit: before,
				Deadline: d, DeadlinePassed: true, Stuck: true, Elapsed: time.Since(start)}
		}
		v.Signal(KickSignal)
	}
}

// drainKick consumes a KickSignal left pending on the vCPU thread (when the
// thread blocks it outside KVM_RUN), so it cannot end the next KVM_RUN.
func (v *VCPU) drainKick() {
	v.Do(func() { SigtimedwaitZero(KickSignal) })
}

// SigtimedwaitZero consumes sig if it is pending for the calling thread
// (rt_sigtimedwait with a zero timeout); it reports whether it was.
func SigtimedwaitZero(sig unix.Signal) bool {
	set := Sigset(sig)
	ts := unix.Timespec{}
	r, _, _ := unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(&set[0])), 0,
		uintptr(unsafe.Pointer(&ts)), uintptr(KernelSigsetSize), 0, 0)
	return int(r) == int(sig)
}

// ThreadSigmask returns the calling thread's blocked-signal mask (kernel
// sigset bytes); set, when non-nil, replaces it first (how = SIG_SETMASK).
func ThreadSigmask(how int, set []byte) ([]byte, error) {
	old := make([]byte, KernelSigsetSize)
	var e unix.Errno
	if set != nil {
		_, _, e = unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, uintptr(how), uintptr(unsafe.Pointer(&set[0])),
			uintptr(unsafe.Pointer(&old[0])), uintptr(KernelSigsetSize), 0, 0)
	} else {
		_, _, e = unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, uintptr(how), 0,
			uintptr(unsafe.Pointer(&old[0])), uintptr(KernelSigsetSize), 0, 0)
	}
	if e != 0 {
		return nil, fmt.Errorf("rt_sigprocmask: %w", e)
	}
	return old, nil
}

// Close stops the vCPU's thread, unmaps kvm_run and closes the fd. A stuck
// vCPU is left entirely alone: its thread may still be inside KVM_RUN and
// read kvm_run when it comes back, so the mapping and the fd stay until the
// process exits (see Abandoned).
func (v *VCPU) Close() error {
	var err error
	v.closeOnce.Do(func() {
		if v.stuck.Load() {
			return
		}
		v.thread.stop()
		unix.Munmap(v.run.mem)
		err = unix.Close(v.fd)
	})
	return err
}
