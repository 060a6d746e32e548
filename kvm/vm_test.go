package kvm

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// testVM creates a VM on the KVM device, skipping the test where there is
// none; the device is closed when the test ends.
func testVM(t *testing.T) *VM {
	t.Helper()
	sys, err := Open(DevicePath())
	if err != nil {
		t.Skipf("KVM unavailable: %v", err)
	}
	t.Cleanup(func() { sys.Close() })
	vm, err := sys.CreateVM(0)
	if err != nil {
		t.Skipf("KVM_CREATE_VM: %v", err)
	}
	return vm
}

// A second Close of a VM must not close its old fd number again: by then
// it can belong to another file.
func TestVMCloseTwice(t *testing.T) {
	vm := testVM(t)
	if _, err := vm.CreateVCPU(0); err != nil {
		t.Fatalf("KVM_CREATE_VCPU: %v", err)
	}
	fd := vm.Fd()
	if err := vm.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	// The lowest free fd number: most likely the VM's old one.
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := vm.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatalf("the file opened after the first Close (fd %d; the VM had %d) was closed by the second: %v", f.Fd(), fd, err)
	}
}

// CloseInBackground stops the vCPUs at once; once WaitClosed has returned
// the VM's fd and memory are gone, and a later Close does nothing.
func TestVMCloseInBackground(t *testing.T) {
	vm := testVM(t)
	v, err := vm.CreateVCPU(0)
	if err != nil {
		t.Fatalf("KVM_CREATE_VCPU: %v", err)
	}
	mem, err := vm.AddMemory(0, 0, 1<<16)
	if err != nil {
		t.Fatalf("memory: %v", err)
	}
	fd, vcpuFd := vm.Fd(), v.Fd()
	vm.CloseInBackground()
	if err := WaitClosed(); err != nil {
		t.Fatalf("WaitClosed: %v", err)
	}
	var st unix.Stat_t
	for _, c := range []struct {
		what string
		fd   int
	}{{"VM", fd}, {"vCPU", vcpuFd}} {
		if err := unix.Fstat(c.fd, &st); err != unix.EBADF {
			t.Errorf("the %s fd %d after WaitClosed: fstat = %v, want EBADF", c.what, c.fd, err)
		}
	}
	if err := unix.Madvise(mem.Data, unix.MADV_NORMAL); err != unix.ENOMEM {
		t.Errorf("the VM's memory after WaitClosed: madvise = %v, want ENOMEM (unmapped)", err)
	}
	if err := vm.Close(); err != nil {
		t.Errorf("Close after CloseInBackground: %v", err)
	}
}
