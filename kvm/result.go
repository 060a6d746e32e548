package kvm

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Result is what one ioctl returned: the raw return value and the errno
// (0 on success). Ret is meaningful when Errno is 0; some ioctls return a
// positive value (a file descriptor, a capability value, a size, s390's
// mp_state).
//
// Unanswered is the harness's own outcome, never the kernel's: it is set
// when the kernel gave no answer at all (the call was not issued because
// the vCPU is stuck in KVM_RUN, or it never returned), and then Ret and
// Errno are zero and mean nothing. No errno is ever made up for it.
type Result struct {
	Ret        uintptr
	Errno      unix.Errno
	Unanswered error
}

// Failed is Ret of a failed call (the -1 the syscall returned).
const Failed = ^uintptr(0)

// Fail is the Result of a call that failed with errno e.
func Fail(e unix.Errno) Result { return Result{Ret: Failed, Errno: e} }

// NoAnswer is the Result of a call the kernel never answered, for the
// harness's reason (ErrStuck).
func NoAnswer(why error) Result { return Result{Unanswered: why} }

// OK reports whether the ioctl was answered and succeeded.
func (r Result) OK() bool { return r.Unanswered == nil && r.Errno == 0 }

// Err returns nil on success, else the errno (or the reason there was no
// answer).
func (r Result) Err() error {
	if r.Unanswered != nil {
		return r.Unanswered
	}
	if r.Errno == 0 {
		return nil
	}
	return r.Errno
}

// String renders the result the way a kernel developer reads it.
func (r Result) String() string {
	if r.Unanswered != nil {
		return "no answer from the kernel (" + r.Unanswered.Error() + ")"
	}
	if r.Errno != 0 {
		return fmt.Sprintf("-1 (%s, %s)", ErrnoName(r.Errno), r.Errno.Error())
	}
	return fmt.Sprintf("%d", r.Ret)
}

// ErrnoName returns the symbolic name of an errno (EINTR, EINVAL, ...).
func ErrnoName(e unix.Errno) string {
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}

// ioctl issues one ioctl and keeps the kernel's answer.
func ioctl(fd int, req uintptr, arg uintptr) Result {
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
	if e != 0 {
		r = Failed
	}
	return Result{Ret: r, Errno: e}
}

// ioctlPtr issues an ioctl whose argument is memory the kernel reads or
// writes. The unsafe.Pointer becomes a uintptr inside the Syscall call
// expression itself (unsafe.Pointer rule 4), so the compiler keeps the
// memory alive and in place for the whole call; TestUnsafePointerRule
// rejects any other conversion.
func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) Result {
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		r = Failed
	}
	return Result{Ret: r, Errno: e}
}

// IoctlError is an ioctl failure with the ioctl's name for context.
type IoctlError struct {
	Op    string
	Errno unix.Errno
}

func (e *IoctlError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", e.Op, ErrnoName(e.Errno), e.Errno.Error())
}

func (e *IoctlError) Unwrap() error { return e.Errno }

// Wrap returns nil on success, else an *IoctlError naming the ioctl (or,
// for a call the kernel never answered, that reason with the ioctl's name).
func (r Result) Wrap(op string) error {
	if r.Unanswered != nil {
		return fmt.Errorf("%s: %w", op, r.Unanswered)
	}
	if r.Errno == 0 {
		return nil
	}
	return &IoctlError{Op: op, Errno: r.Errno}
}

// IsErrno reports whether err carries errno e.
func IsErrno(err error, e unix.Errno) bool { return errors.Is(err, e) }
