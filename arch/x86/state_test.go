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
