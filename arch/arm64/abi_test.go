//go:build linux && arm64

package arm64

import (
	"testing"
	"unsafe"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
)

// Values from kernel-semantics.md §4.2 and §5.2.
func TestOneRegIDs(t *testing.T) {
	cases := map[string]uint64{
		"x0":     0x6030000000100000,
		"x1":     0x6030000000100002,
		"w1":     0x6030000000100002,
		"x30":    0x603000000010003c,
		"lr":     0x603000000010003c,
		"sp":     0x603000000010003e,
		"pc":     0x6030000000100040,
		"pstate": 0x6030000000100042,
	}
	for name, want := range cases {
		got, err := RegID(name)
		if err != nil || got != want {
			t.Errorf("RegID(%q) = %#x, %v; want %#x", name, got, err, want)
		}
	}
	for _, r := range dumpOrder() {
		id := r.id()
		if id&uapi.KVM_REG_ARCH_MASK != KVM_REG_ARM64 || id&uapi.KVM_REG_SIZE_MASK != uapi.KVM_REG_SIZE_U64 || id&0xffff0000 != KVM_REG_ARM_CORE {
			t.Errorf("%s: id %#x is not a 64-bit arm64 core register", r, id)
		}
	}
}

func TestEntryPSTATE(t *testing.T) {
	if EntryPSTATE != 0x3c5 {
		t.Errorf("EntryPSTATE = %#x, want 0x3c5 (EL1h, DAIF masked)", EntryPSTATE)
	}
}

func TestFeatures(t *testing.T) {
	if f := Features(arch.InitOptions{}); f != [7]uint32{1 << 2} {
		t.Errorf("Features() = %#x, want PSCI_0_2 (bit 2)", f)
	}
	if f := Features(arch.InitOptions{PowerOff: true}); f != [7]uint32{1<<2 | 1} {
		t.Errorf("Features(PowerOff) = %#x, want PSCI_0_2|POWER_OFF (bits 2, 0)", f)
	}
}

func TestABI(t *testing.T) {
	if unsafe.Sizeof(VCPUInit{}) != 32 {
		t.Errorf("sizeof(kvm_vcpu_init) = %d, want 32", unsafe.Sizeof(VCPUInit{}))
	}
	if KVM_ARM_VCPU_INIT != 0x4020aeae {
		t.Errorf("KVM_ARM_VCPU_INIT = %#x, want 0x4020aeae", KVM_ARM_VCPU_INIT)
	}
	if uapi.KVM_GET_REGS != 0x8360ae81 {
		t.Errorf("KVM_GET_REGS = %#x, want 0x8360ae81", uapi.KVM_GET_REGS)
	}
}
