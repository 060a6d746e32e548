//go:build linux && amd64

package x86

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/kvmconform/kvmconform/kvm"
	"golang.org/x/sys/unix"
)

// CPUID feature bits of nested virtualisation.
const (
	// CPUIDExtLeaf is the leaf whose ECX bit 2 is SVM (AMD) and
	// CPUIDSVMBit that bit.
	CPUIDExtLeaf = 0x80000001
	CPUIDSVMBit  = 1 << 2
	// CPUIDVMXBit is CPUID.1:ECX.VMX (bit 5).
	CPUIDVMXBit = 1 << 5
)

// HasFeature reports whether the leaf function (index 0) of entries has
// all of bits set in ECX.
func HasFeature(entries []CPUIDEntry2, function, ecxBits uint32) bool {
	for _, e := range entries {
		if e.Function == function && e.Index == 0 {
			return e.Ecx&ecxBits == ecxBits
		}
	}
	return false
}

// NestedState is struct kvm_nested_state as bytes: the 128-byte header
// (flags, format, size, the vendor header) and the vendor's data after it
// (SVM: vmcb12's control area and L1's saved state, KVM_STATE_NESTED_SVM_VMCB_SIZE
// bytes). cgo cannot name the struct's unions; the accessors use the
// generated offsets.
type NestedState []byte

// Flags is kvm_nested_state.flags (KVM_STATE_NESTED_*).
func (s NestedState) Flags() uint16 { return binary.LittleEndian.Uint16(s[OffNestedFlags:]) }

// Format is kvm_nested_state.format (KVM_STATE_NESTED_FORMAT_VMX or _SVM).
func (s NestedState) Format() uint16 { return binary.LittleEndian.Uint16(s[OffNestedFormat:]) }

// Size is kvm_nested_state.size: the bytes KVM filled in (header and data).
func (s NestedState) Size() uint32 { return binary.LittleEndian.Uint32(s[OffNestedSize:]) }

// SVMVMCBPA is kvm_nested_state.hdr.svm.vmcb_pa: the guest-physical address
// of the VMCB L1 gave VMRUN (vmcb12).
func (s NestedState) SVMVMCBPA() uint64 { return binary.LittleEndian.Uint64(s[OffNestedSVMVMCBPA:]) }

// Data is the vendor data after the header.
func (s NestedState) Data() []byte { return s[OffNestedData:] }

// GetNestedState is KVM_GET_NESTED_STATE into a buffer of size bytes (the
// value of KVM_CHECK_EXTENSION(KVM_CAP_NESTED_STATE) is the largest state
// KVM writes). The header's size field tells KVM the buffer's size; too
// small a buffer is E2BIG. The result keeps the errno for the spec.
func GetNestedState(v *kvm.VCPU, size int) (NestedState, kvm.Result) {
	if size < SizeofNestedStateHeader {
		size = SizeofNestedStateHeader
	}
	buf := make([]byte, size) // on the heap: the kernel writes it
	binary.LittleEndian.PutUint32(buf[OffNestedSize:], uint32(size))
	r := v.Ioctl(KVM_GET_NESTED_STATE, unsafe.Pointer(&buf[0]))
	return NestedState(buf), r
}

// SetNestedState is KVM_SET_NESTED_STATE with s (its header's size field
// says how much of it KVM reads).
func SetNestedState(v *kvm.VCPU, s NestedState) kvm.Result {
	if len(s) < SizeofNestedStateHeader {
		return kvm.Fail(unix.EINVAL) // no header at all
	}
	buf := make([]byte, len(s))
	copy(buf, s)
	return v.Ioctl(KVM_SET_NESTED_STATE, unsafe.Pointer(&buf[0]))
}

// NestedFlagNames renders KVM_STATE_NESTED_* flags for a message.
func NestedFlagNames(f uint16) string {
	names := []struct {
		bit  uint16
		name string
	}{
		{KVM_STATE_NESTED_GUEST_MODE, "GUEST_MODE"},
		{KVM_STATE_NESTED_RUN_PENDING, "RUN_PENDING"},
		{KVM_STATE_NESTED_EVMCS, "EVMCS"},
		{KVM_STATE_NESTED_MTF_PENDING, "MTF_PENDING"},
		{KVM_STATE_NESTED_GIF_SET, "GIF_SET"},
	}
	out := fmt.Sprintf("%#x", f)
	sep := " ("
	for _, n := range names {
		if f&n.bit != 0 {
			out += sep + n.name
			sep = "|"
		}
	}
	if sep == "|" {
		out += ")"
	}
	return out
}
