//go:build linux && amd64

package x86

import (
	"fmt"
	"unsafe"

	"github.com/kvmconform/kvmconform/kvm"
	"golang.org/x/sys/unix"
)

// SupportedCPUID is KVM_GET_SUPPORTED_CPUID: the CPUID leaves KVM can
// offer a guest, which carry the host CPU's vendor in leaf 0.
func SupportedCPUID(sys *kvm.System) ([]CPUIDEntry2, error) {
	for n := 64; n <= 4096; n *= 2 {
		hdr := int(unsafe.Sizeof(CPUID2Header{}))
		size := int(unsafe.Sizeof(CPUIDEntry2{}))
		buf := make([]byte, hdr+n*size) // on the heap: the kernel writes it
		(*CPUID2Header)(unsafe.Pointer(&buf[0])).Nent = uint32(n)
		r := sys.Ioctl(KVM_GET_SUPPORTED_CPUID, unsafe.Pointer(&buf[0]))
		if r.Errno == unix.E2BIG {
			continue
		}
		if err := r.Wrap("KVM_GET_SUPPORTED_CPUID"); err != nil {
			return nil, err
		}
		got := int((*CPUID2Header)(unsafe.Pointer(&buf[0])).Nent)
		out := make([]CPUIDEntry2, got)
		for i := range out {
			out[i] = *(*CPUIDEntry2)(unsafe.Pointer(&buf[hdr+i*size]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("KVM_GET_SUPPORTED_CPUID: more than 4096 entries")
}

// Vendor is the CPU vendor string of CPUID leaf 0 as KVM reports it
// ("AuthenticAMD", "GenuineIntel", "HygonGenuine", ...).
func Vendor(sys *kvm.System) (string, error) {
	entries, err := SupportedCPUID(sys)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.Function == 0 {
			var b [12]byte
			for i, w := range []uint32{e.Ebx, e.Edx, e.Ecx} {
				for j := 0; j < 4; j++ {
					b[4*i+j] = byte(w >> (8 * j))
				}
			}
			return string(b[:]), nil
		}
	}
	return "", fmt.Errorf("KVM_GET_SUPPORTED_CPUID has no leaf 0")
}

// HypercallInstruction is the hypercall instruction native to a CPU
// vendor: VMMCALL on AMD and Hygon (SVM), VMCALL elsewhere (VMX). KVM
// patches the other one (kvm_fix_hypercall via the emulator) instead of
// completing it, so a spec that wants a hypercall exit uses the native one.
func HypercallInstruction(vendor string) string {
	switch vendor {
	case "AuthenticAMD", "HygonGenuine":
		return "vmmcall"
	}
	return "vmcall"
}
