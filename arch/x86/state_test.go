//go:build linux && amd64

package x86

import (
	"testing"
	"unsafe"
)

// struct kvm_msrs is {__u32 nmsrs; __u32 pad; struct kvm_msr_entry
// entries[]} and kvm_msr_entry is {__u32 index; __u32 reserved; __u64
// data}: the one-entry buffer puts the index at byte 8 and the data at 16.
func TestMSRBufferLayout(t *testing.T) {
	buf := msrBuffer(0x1b, 0xfee00900)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
	if len(b) < 24 {
		t.Fatalf("buffer is %d bytes, want at least 24", len(b))
	}
	if n := *(*uint32)(unsafe.Pointer(&b[0])); n != 1 {
		t.Errorf("nmsrs = %d", n)
	}
	if i := *(*uint32)(unsafe.Pointer(&b[8])); i != 0x1b {
		t.Errorf("entries[0].index = %#x", i)
	}
	if d := *(*uint64)(unsafe.Pointer(&b[16])); d != 0xfee00900 {
		t.Errorf("entries[0].data = %#x", d)
	}
	if msrEntry(buf).Data != 0xfee00900 {
		t.Errorf("msrEntry does not read back the data")
	}
}

func TestRegNames(t *testing.T) {
	var r Regs
	for _, n := range []string{"rax", "EAX", "al", "r15", "rip", "rflags"} {
		if _, err := reg(&r, n); err != nil {
			t.Errorf("reg(%q): %v", n, err)
		}
	}
	if _, err := reg(&r, "xmm0"); err == nil {
		t.Errorf("reg(xmm0) succeeded")
	}
	p, _ := reg(&r, "rbx")
	*p = 7
	if r.Rbx != 7 {
		t.Errorf("reg(rbx) does not point at Rbx")
	}
}

func TestNestedStateAccessors(t *testing.T) {
	s := make(NestedState, SizeofNestedStateHeader+KVM_STATE_NESTED_SVM_VMCB_SIZE)
	s[OffNestedFlags] = KVM_STATE_NESTED_GUEST_MODE
	s[OffNestedFlags+1] = KVM_STATE_NESTED_GIF_SET >> 8
	s[OffNestedFormat] = KVM_STATE_NESTED_FORMAT_SVM
	s[OffNestedSize+1] = 0x10 // 0x1000
	s[OffNestedSVMVMCBPA+2] = 0x01
	if s.Flags() != 0x101 || s.Format() != 1 || s.Size() != 0x1000 || s.SVMVMCBPA() != 0x10000 || len(s.Data()) != KVM_STATE_NESTED_SVM_VMCB_SIZE {
		t.Errorf("accessors: flags %#x format %d size %#x vmcb_pa %#x data %d bytes", s.Flags(), s.Format(), s.Size(), s.SVMVMCBPA(), len(s.Data()))
	}
	if got := NestedFlagNames(0x103); got != "0x103 (GUEST_MODE|RUN_PENDING|GIF_SET)" {
		t.Errorf("NestedFlagNames(0x103) = %q", got)
	}
	if got := NestedFlagNames(0); got != "0x0" {
		t.Errorf("NestedFlagNames(0) = %q", got)
	}
	entries := []CPUIDEntry2{{Function: 1, Ecx: CPUIDVMXBit}, {Function: CPUIDExtLeaf, Ecx: CPUIDSVMBit | 1}}
	if !HasFeature(entries, CPUIDExtLeaf, CPUIDSVMBit) || HasFeature(entries, 1, CPUIDSVMBit|CPUIDVMXBit) || HasFeature(nil, 1, 1) {
		t.Error("HasFeature")
	}
}
