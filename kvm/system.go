package kvm

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// DefaultDevice is the KVM device node.
const DefaultDevice = "/dev/kvm"

// DeviceEnv names the environment variable that overrides the device path
// (the suites read it; this package does not).
const DeviceEnv = "KVMCONFORM_DEVICE"

// Why an Open failed, one cause per value.
var (
	ErrNoDevice   = errors.New("no KVM device")
	ErrPermission = errors.New("no permission on the KVM device")
	ErrNotKVM     = errors.New("not a KVM device")
)

// OpenError explains why a KVM device could not be used.
type OpenError struct {
	Path  string
	Cause error // ErrNoDevice, ErrPermission or ErrNotKVM
	Err   error // the underlying error
	// Detail, if set, says what the path is and what to do, e.g. the
	// node's owner, group and mode and the advice that fits them.
	Detail string
}

func (e *OpenError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s: %v: %s (%v)", e.Path, e.Cause, e.Detail, e.Err)
	}
	switch e.Cause {
	case ErrNoDevice:
		return fmt.Sprintf("%s: %v: no KVM module is loaded or the device node is missing (%v)", e.Path, e.Cause, e.Err)
	case ErrPermission:
		return fmt.Sprintf("%s: %v: add the user to group kvm or run as root (%v)", e.Path, e.Cause, e.Err)
	default:
		return fmt.Sprintf("%s: %v (%v)", e.Path, e.Cause, e.Err)
	}
}

func (e *OpenError) Unwrap() []error { return []error{e.Cause, e.Err} }

// System is an open KVM device (the "system fd").
type System struct {
	fd   int
	path string
}

// KVM's device node is the misc character device 10:232 (KVM_MINOR).
const (
	kvmMajor = 10
	kvmMinor = 232
)

// Open opens the KVM device at path and checks that it speaks KVM API
// version 12. The error is an *OpenError whose Cause says which of the three
// usual reasons applies. The path is looked at first, so that what is not
// a device node (a file, a socket, a FIFO, which would block) is "not a KVM
// device" and is not opened, and a device node's errors name it: ENXIO
// from KVM's 10:232 means no module, from another device (/dev/tty) that
// it is not KVM; a permission error shows the node's owner, group and mode
// with the advice they call for.
func Open(path string) (*System, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		oe := &OpenError{Path: path, Cause: openCause(err), Err: err}
		if oe.Cause == ErrNoDevice {
			oe.Detail = "the device node is missing: no KVM module is loaded, or it is not created here (a container without the device)"
		}
		return nil, oe
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return nil, &OpenError{Path: path, Cause: ErrNotKVM,
			Err: fmt.Errorf("%s, not a character device", fileKind(st.Mode))}
	}
	major, minor := unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		oe := &OpenError{Path: path, Cause: openCause(err), Err: err}
		isKVM := major == kvmMajor && minor == kvmMinor
		switch {
		case oe.Cause == ErrNoDevice && isKVM:
			oe.Detail = "the node is KVM's (10:232), but no KVM module is loaded"
		case oe.Cause == ErrNoDevice:
			oe.Cause = ErrNotKVM
			oe.Detail = fmt.Sprintf("character device %d:%d, not KVM's (%d:%d), and it does not open here", major, minor, kvmMajor, kvmMinor)
		case oe.Cause == ErrPermission && !errors.Is(err, unix.EROFS):
			oe.Detail = permissionAdvice(nodeOf(&st))
		}
		return nil, oe
	}
	s := &System{fd: fd, path: path}
	r := s.APIVersion()
	if !r.OK() || r.Ret != uapi.KVM_API_VERSION {
		s.Close()
		return nil, &OpenError{Path: path, Cause: ErrNotKVM,
			Err: fmt.Errorf("KVM_GET_API_VERSION returned %s, want %d (character device %d:%d)", r, uapi.KVM_API_VERSION, major, minor)}
	}
	return s, nil
}

// fileKind names the type bits of a stat mode.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFIFO:
		return "a named pipe (FIFO)"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFCHR:
		return "a character device"
	}
	return fmt.Sprintf("a file of type %#o", mode&unix.S_IFMT)
}

// node is what permissionAdvice needs to know of a device node and of
// this process.
type node struct {
	Mode         uint32 // permission bits
	UID, GID     uint32
	Owner, Group string // names ("" if unknown)
	// IsOwner: the process's user owns the node; InGroup: the process
	// has the node's group; KVMGroupExists: a group named kvm exists.
	IsOwner        bool
	InGroup        bool
	KVMGroupExists bool
}

// nodeOf describes the node st and this process.
func nodeOf(st *unix.Stat_t) node {
	n := node{Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid}
	if u, err := user.LookupId(fmt.Sprint(st.Uid)); err == nil {
		n.Owner = u.Username
	}
	if g, err := user.LookupGroupId(fmt.Sprint(st.Gid)); err == nil {
		n.Group = g.Name
	}
	if _, err := user.LookupGroup("kvm"); err == nil {
		n.KVMGroupExists = true
	}
	n.IsOwner = uint32(os.Geteuid()) == st.Uid
	n.InGroup = uint32(os.Getegid()) == st.Gid
	if gs, err := os.Getgroups(); err == nil {
		for _, g := range gs {
			n.InGroup = n.InGroup || uint32(g) == st.Gid
		}
	}
	return n
}

// permissionAdvice says who may open the node (its owner, group and mode)
// and what lets this user do so: joining the group that has read-write
// access, or, when no group but root's has it, running as root or changing
// the node's permissions.
func permissionAdvice(n node) string {
	name := func(s string, id uint32) string {
		if s == "" {
			return fmt.Sprint(id)
		}
		return s
	}
	desc := fmt.Sprintf("the node is c%s %s:%s", os.FileMode(n.Mode & 0o777).String()[1:], name(n.Owner, n.UID), name(n.Group, n.GID))
	groupRW := n.Mode&0o060 == 0o060 && n.GID != 0
	const elsewhere = ", so something else denies access (a nodev mount, SELinux or AppArmor, a container's device rules)"
	switch {
	case n.Mode&0o006 == 0o006:
		return desc + ": anyone may open it by its mode" + elsewhere
	case n.IsOwner && n.Mode&0o600 == 0o600:
		return desc + ": this user owns it" + elsewhere
	case groupRW && n.InGroup:
		return desc + ": the process is in group " + name(n.Group, n.GID) + ", which may open it" + elsewhere
	case groupRW:
		g := name(n.Group, n.GID)
		return desc + ": add the user to group " + g + " (usermod -aG " + g + " USER, then log in again) or run as root"
	}
	udev := `a udev rule such as KERNEL=="kvm", GROUP="kvm", MODE="0660" in /etc/udev/rules.d/65-kvm.rules, then add the user to group kvm`
	if !n.KVMGroupExists {
		udev = "there is no group kvm: groupadd --system kvm, then " + udev
	}
	return desc + ", so only " + name(n.Owner, n.UID) + " may open it: run as root, or change the node's permissions (" + udev + ")"
}

// openCause classifies why opening the device failed.
func openCause(err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return ErrNoDevice
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM), errors.Is(err, unix.EROFS):
		return ErrPermission
	}
	return ErrNotKVM
}

// Path is the device path the System was opened from.
func (s *System) Path() string { return s.path }

// Fd is the raw file descriptor.
func (s *System) Fd() int { return s.fd }

// Close closes the device fd.
func (s *System) Close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}

// APIVersion is KVM_GET_API_VERSION.
func (s *System) APIVersion() Result { return ioctl(s.fd, uapi.KVM_GET_API_VERSION, 0) }

// CheckExtension is KVM_CHECK_EXTENSION on the system fd.
func (s *System) CheckExtension(capability uintptr) Result {
	return ioctl(s.fd, uapi.KVM_CHECK_EXTENSION, capability)
}

// Ioctl issues a system ioctl the package has no method for.
func (s *System) Ioctl(req uintptr, arg unsafe.Pointer) Result { return ioctlPtr(s.fd, req, arg) }

// VCPUMmapSize is KVM_GET_VCPU_MMAP_SIZE: the size of the per-vCPU mmap
// (kvm_run, plus the PIO data page and the coalesced MMIO ring where the
// architecture has them).
func (s *System) VCPUMmapSize() (int, error) {
	r := ioctl(s.fd, uapi.KVM_GET_VCPU_MMAP_SIZE, 0)
	if err := r.Wrap("KVM_GET_VCPU_MMAP_SIZE"); err != nil {
		return 0, err
	}
	return int(r.Ret), nil
}

// CreateVM is KVM_CREATE_VM with the given machine type (0 is the default).
// KVM_CREATE_VM can fail with EINTR when a signal (the Go runtime's SIGURG,
// say) arrives while it waits, e.g. for the VM's worker threads on x86; it
// is retried then, as QEMU's kvm_init does.
func (s *System) CreateVM(machineType uintptr) (*VM, error) {
	r := ioctl(s.fd, uapi.KVM_CREATE_VM, machineType)
	for tries := 0; r.Errno == unix.EINTR && tries < 100; tries++ {
		r = ioctl(s.fd, uapi.KVM_CREATE_VM, machineType)
	}
	if err := r.Wrap("KVM_CREATE_VM"); err != nil {
		return nil, err
	}
	mmapSize, err := s.VCPUMmapSize()
	if err != nil {
		unix.Close(int(r.Ret))
		return nil, err
	}
	return &VM{sys: s, fd: int(r.Ret), mmapSize: mmapSize, spin: handoffSpin()}, nil
}

// Probe opens the device at path, returning a skip reason instead of an error
// when KVM cannot be used here (no device, no permission, not KVM). It is the
// single place specs learn why they must skip.
func Probe(path string) (*System, string) {
	s, err := Open(path)
	if err != nil {
		return nil, err.Error()
	}
	return s, ""
}

// DevicePath returns the device to use: $KVMCONFORM_DEVICE or /dev/kvm.
func DevicePath() string {
	if p := os.Getenv(DeviceEnv); p != "" {
		return p
	}
	return DefaultDevice
}
