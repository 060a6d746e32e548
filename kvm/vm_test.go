package kvm

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// A second Close of a VM must not close its old fd number again: by then
// it can belong to another file.
func TestVMCloseTwice(t *testing.T) {
	sys, err := Open(DevicePath())
	if err != nil {
		t.Skipf("KVM unavailable: %v", err)
	}
	defer sys.Close()
	vm, err := sys.CreateVM(0)
	if err != nil {
		t.Skipf("KVM_CREATE_VM: %v", err)
	}
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
