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
type Result struct {
	Ret   uintptr
	Errno unix.Errno
}

// Failed is Ret of a failed call (the -1 the syscall returned).
const Failed = ^uintptr(0)

// Fail is the Result of a call that failed with errno e.
func Fail(e unix.Errno) Result { return Result{Ret: Failed, Errno: e} }

// OK reports whether the ioctl succeeded.
func (r Result) OK() bool { return r.Errno == 0 }

// Err returns nil on success, else the errno.
func (r Result) Err() error {
	if r.Errno == 0 {
		return nil
	}
	return r.Errno
}

// String renders the result the way a kernel developer reads it.
func (r Result) String() string {
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

func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) Result {
	return ioctl(fd, req, uintptr(arg))
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

// Wrap returns nil on success, else an *IoctlError naming the ioctl.
func (r Result) Wrap(op string) error {
	if r.Errno == 0 {
		return nil
	}
	return &IoctlError{Op: op, Errno: r.Errno}
}

// IsErrno reports whether err carries errno e.
func IsErrno(err error, e unix.Errno) bool { return errors.Is(err, e) }
