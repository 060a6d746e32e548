package kvm

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// VM is a virtual machine fd with its memory slots and vCPUs.
type VM struct {
	sys      *System
	fd       int
	mmapSize int
	mem      []*Memory
	vcpus    []*VCPU
	spin     time.Duration // handoffSpin of the vCPU threads created next
	closed   bool          // Close released the fd and the memory
}

// SetHandoffSpin sets how long the threads of the vCPUs created from now
// on, and their callers, spin before they sleep when a call is handed over
// (see thread). 0 turns spinning off, as on an emulated CPU, where a
// spinning thread only steals time from the vCPU; the default spins
// 200 µs where Go has more than one CPU.
func (vm *VM) SetHandoffSpin(d time.Duration) { vm.spin = max(d, 0) }

// Fd is the raw VM file descriptor.
func (vm *VM) Fd() int { return vm.fd }

// System is the device the VM was created on.
func (vm *VM) System() *System { return vm.sys }

// CheckExtension is KVM_CHECK_EXTENSION on the VM fd.
func (vm *VM) CheckExtension(capability uintptr) Result {
	return ioctl(vm.fd, uapi.KVM_CHECK_EXTENSION, capability)
}

// Ioctl issues a VM ioctl the package has no method for.
func (vm *VM) Ioctl(req uintptr, arg unsafe.Pointer) Result { return ioctlPtr(vm.fd, req, arg) }

// IoctlValue issues a VM ioctl whose argument is a plain value.
func (vm *VM) IoctlValue(req uintptr, arg uintptr) Result { return ioctl(vm.fd, req, arg) }

// CreateIRQChip is KVM_CREATE_IRQCHIP (the in-kernel LAPIC/IOAPIC/PIC on x86,
// the vGIC on arm64).
func (vm *VM) CreateIRQChip() Result { return ioctl(vm.fd, uapi.KVM_CREATE_IRQCHIP, 0) }

// SignalMSI is KVM_SIGNAL_MSI. It is a VM ioctl, so it may be issued from any
// thread while a vCPU is inside KVM_RUN.
func (vm *VM) SignalMSI(addr uint64, data uint32) Result {
	msi := uapi.MSI{Lo: uint32(addr), Hi: uint32(addr >> 32), Data: data}
	return ioctlPtr(vm.fd, uapi.KVM_SIGNAL_MSI, unsafe.Pointer(&msi))
}

// EnableCap is KVM_ENABLE_CAP on the VM fd.
func (vm *VM) EnableCap(capability uint32, args ...uint64) Result {
	ec := newEnableCap(capability, args)
	return ioctlPtr(vm.fd, uapi.KVM_ENABLE_CAP, unsafe.Pointer(&ec))
}

func newEnableCap(capability uint32, args []uint64) uapi.EnableCap {
	ec := uapi.EnableCap{Cap: capability}
	copy(ec.Args[:], args)
	return ec
}

// SetBootCPUID is KVM_SET_BOOT_CPU_ID (x86): it must come before the first
// vCPU is created, else EBUSY.
func (vm *VM) SetBootCPUID(id uint32) Result {
	return ioctl(vm.fd, uapi.KVM_SET_BOOT_CPU_ID, uintptr(id))
}

// Memory is one memory slot backed by anonymous host memory.
type Memory struct {
	Slot    uint32
	GPA     uint64
	Data    []byte // the host mapping; Data[i] is guest physical GPA+i
	mapping []byte // the whole mmap, larger than Data when aligned
}

// Contains reports whether [gpa, gpa+n) lies inside the slot.
func (m *Memory) Contains(gpa uint64, n int) bool {
	return gpa >= m.GPA && gpa+uint64(n) <= m.GPA+uint64(len(m.Data))
}

// AddMemory maps size bytes of anonymous memory and installs them as slot at
// guest physical address gpa (KVM_SET_USER_MEMORY_REGION). size must be a
// multiple of the host page size (of 1 MiB on s390x). The host address is
// aligned to MemoryAlignment, which s390 KVM requires
// (kvm_arch_prepare_memory_region rejects a userspace_addr that is not
// 1 MiB aligned).
func (vm *VM) AddMemory(slot uint32, gpa uint64, size int) (*Memory, error) {
	mapping, err := unix.Mmap(-1, 0, size+MemoryAlignment, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes of guest memory: %w", size, err)
	}
	skip := 0
	if rem := uintptr(unsafe.Pointer(&mapping[0])) % MemoryAlignment; rem != 0 { //kvmconform:mmap
		skip = MemoryAlignment - int(rem)
	}
	data := mapping[skip : skip+size : skip+size]
	region := uapi.UserspaceMemoryRegion{
		Slot:            slot,
		Guest_phys_addr: gpa,
		Memory_size:     uint64(size),
		Userspace_addr:  uint64(uintptr(unsafe.Pointer(&data[0]))), //kvmconform:mmap
	}
	r := ioctlPtr(vm.fd, uapi.KVM_SET_USER_MEMORY_REGION, unsafe.Pointer(&region))
	if err := r.Wrap(fmt.Sprintf("KVM_SET_USER_MEMORY_REGION slot %d gpa %#x size %#x", slot, gpa, size)); err != nil {
		unix.Munmap(mapping)
		return nil, err
	}
	m := &Memory{Slot: slot, GPA: gpa, Data: data, mapping: mapping}
	vm.mem = append(vm.mem, m)
	return m, nil
}

// memoryAt finds the slot holding [gpa, gpa+n).
func (vm *VM) memoryAt(gpa uint64, n int) (*Memory, error) {
	for _, m := range vm.mem {
		if m.Contains(gpa, n) {
			return m, nil
		}
	}
	return nil, fmt.Errorf("guest physical range %#x+%d is not in any memory slot", gpa, n)
}

// WriteGuest copies b into guest memory at gpa.
func (vm *VM) WriteGuest(gpa uint64, b []byte) error {
	m, err := vm.memoryAt(gpa, len(b))
	if err != nil {
		return err
	}
	copy(m.Data[gpa-m.GPA:], b)
	return nil
}

// ReadGuest returns a copy of n bytes of guest memory at gpa.
func (vm *VM) ReadGuest(gpa uint64, n int) ([]byte, error) {
	m, err := vm.memoryAt(gpa, n)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	copy(out, m.Data[gpa-m.GPA:])
	return out, nil
}

// CreateVCPU is KVM_CREATE_VCPU: it creates vCPU id, mmaps its kvm_run with
// the size the kernel reports, and starts the locked OS thread that issues
// all of its ioctls. The vCPU starts with the default signal mask (see
// DefaultSignalMask).
func (vm *VM) CreateVCPU(id uint32) (*VCPU, error) {
	r := ioctl(vm.fd, uapi.KVM_CREATE_VCPU, uintptr(id))
	if err := r.Wrap(fmt.Sprintf("KVM_CREATE_VCPU %d", id)); err != nil {
		return nil, err
	}
	fd := int(r.Ret)
	mem, err := unix.Mmap(fd, 0, vm.mmapSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mmap kvm_run of vCPU %d (%d bytes): %w", id, vm.mmapSize, err)
	}
	v := &VCPU{vm: vm, id: id, fd: fd, run: &Run{mem: mem}, thread: startThread(vm.spin)}
	if err := v.SetSignalMask(DefaultSignalMask()...).Wrap("KVM_SET_SIGNAL_MASK (default)"); err != nil {
		v.Close()
		return nil, err
	}
	vm.vcpus = append(vm.vcpus, v)
	return v, nil
}

// VCPUs are the vCPUs created so far, in creation order.
func (vm *VM) VCPUs() []*VCPU { return vm.vcpus }

// Close stops and closes every vCPU, then the VM fd and its memory. If one
// of its vCPUs is stuck in KVM_RUN (abandoned), the VM fd and its memory
// stay too: unmapping guest RAM under a running vCPU is itself an event
// that can make its KVM_RUN return into freed state. Closing a closed VM
// does nothing (a spec may close its VM early and still have the cleanup
// that closes it at the end).
func (vm *VM) Close() error {
	fd, mem, ok := vm.detach()
	if !ok {
		return nil
	}
	return release(fd, mem)
}

// CloseInBackground is Close with the VM fd's close, where the kernel
// destroys the VM, and the unmapping of its memory handed to another
// goroutine (see background): the vCPUs are stopped and closed before it
// returns, and it waits only while 8 VMs are still being torn down.
// WaitClosed waits for them and says what failed.
func (vm *VM) CloseInBackground() {
	fd, mem, ok := vm.detach()
	if !ok {
		return
	}
	background.start(func() error { return release(fd, mem) })
}

// detach stops and closes the vCPUs and hands over the VM fd and memory
// to release; ok is false when the VM was closed already or one of its
// vCPUs is stuck (then both stay).
func (vm *VM) detach() (fd int, mem []*Memory, ok bool) {
	if vm.closed {
		return 0, nil, false
	}
	stuck := false
	for _, v := range vm.vcpus {
		v.Close()
		stuck = stuck || v.Stuck()
	}
	if stuck {
		return 0, nil, false
	}
	vm.vcpus = nil
	vm.closed = true
	fd, mem = vm.fd, vm.mem
	vm.mem = nil
	return fd, mem, true
}

// release closes a detached VM's fd, then unmaps its memory.
func release(fd int, mem []*Memory) error {
	err := unix.Close(fd)
	for _, m := range mem {
		unix.Munmap(m.mapping)
	}
	if err != nil {
		return fmt.Errorf("closing VM fd %d: %w", fd, err)
	}
	return nil
}
