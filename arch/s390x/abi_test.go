//go:build linux && s390x

package s390x

import (
	"testing"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
)

// kernel-semantics.md §4.3, §5.1, §5.2.
func TestABI(t *testing.T) {
	if unsafe.Sizeof(Regs{}) != 0x80 || uapi.SizeofRegs != 0x80 {
		t.Errorf("sizeof(struct kvm_regs) = %#x, want 0x80", unsafe.Sizeof(Regs{}))
	}
	if uapi.KVM_GET_REGS != 0x8080ae81 {
		t.Errorf("KVM_GET_REGS = %#x, want 0x8080ae81", uapi.KVM_GET_REGS)
	}
	if OffRunPSWMask != 32 || OffRunPSWAddr != 40 || uapi.OffRunExitUnion != 48 {
		t.Errorf("psw_mask@%d psw_addr@%d exit union@%d, want 32, 40, 48", OffRunPSWMask, OffRunPSWAddr, uapi.OffRunExitUnion)
	}
}

// The PSW goes through kvm_run in the host's (big-endian) byte order.
func TestPSWInRun(t *testing.T) {
	buf := make([]byte, uapi.SizeofRun)
	run := kvm.NewRunView(buf)
	run.PutU64At(OffRunPSWMask, EntryPSWMask)
	run.PutU64At(OffRunPSWAddr, 0x10000)
	want := []byte{0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}
	if got := buf[32:48]; string(got) != string(want) {
		t.Errorf("kvm_run[32:48] = % x, want % x", got, want)
	}
}
