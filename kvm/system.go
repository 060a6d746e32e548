package kvm

import (
	"errors"
	"fmt"
	"os"
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
}

func (e *OpenError) Error() string {
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

// Open opens the KVM device at path and checks that it speaks KVM API
// version 12. The error is an *OpenError whose Cause says which of the three
// usual reasons applies.
func Open(path string) (*System, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &OpenError{Path: path, Cause: openCause(err), Err: err}
	}
	s := &System{fd: fd, path: path}
	r := s.APIVersion()
	if !r.OK() || r.Ret != uapi.KVM_API_VERSION {
		s.Close()
		return nil, &OpenError{Path: path, Cause: ErrNotKVM,
			Err: fmt.Errorf("KVM_GET_API_VERSION returned %s, want %d", r, uapi.KVM_API_VERSION)}
	}
	return s, nil
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
