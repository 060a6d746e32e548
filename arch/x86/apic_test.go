//go:build linux && amd64

package x86

import (
	"testing"
	"unsafe"
)

// The values the SDM and the kernel headers give (apic.go), and the
// generated ones the specs rely on.
func TestPinnedConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		// The BSP's IA32_APIC_BASE after reset: base, enable, BSP.
		{"APICDefaultBase | APICBaseEnable | APICBaseBSP", APICDefaultBase | APICBaseEnable | APICBaseBSP, 0xfee00900},
		{"MSIAddr(0)", MSIAddr(0), 0xfee00000},
		{"MSIAddr(1)", MSIAddr(1), 0xfee01000},
		{"MSIAddr(0xff)", MSIAddr(0xff), 0xfeeff000},
		{"APICDMInit", APICDMInit, 5 << 8},
		{"APICDMStartup", APICDMStartup, 6 << 8},
		// include/uapi/linux/kvm_para.h
		{"KVM_HC_MAP_GPA_RANGE", KVM_HC_MAP_GPA_RANGE, 12},
		// struct kvm_sync_regs starts with struct kvm_regs {rax, rbx, ...}.
		{"kvm_sync_regs.regs.rbx", OffSyncRegsRegs + uint64(unsafe.Offsetof(Regs{}.Rbx)), 8},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}
