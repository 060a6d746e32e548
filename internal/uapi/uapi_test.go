package uapi

import (
	"runtime"
	"testing"
	"unsafe"
)

// Known values from kernel-semantics.md §5 (include/uapi/linux/kvm.h and
// asm/ioctl.h): the generic _IOC layout versus the mips/powerpc one, and
// s390x's kvm_run header with psw_mask/psw_addr.
func TestPinnedABI(t *testing.T) {
	mipsPPC := map[string]bool{"mips64": true, "mips64le": true, "ppc64": true, "ppc64le": true}[runtime.GOARCH]
	want := map[string]uint64{
		"KVM_RUN":             0xAE80,
		"KVM_CHECK_EXTENSION": 0xAE03,
		"KVM_GET_MP_STATE":    0x8004AE98,
		"KVM_SET_MP_STATE":    0x4004AE99,
		"KVM_SET_SIGNAL_MASK": 0x4004AE8B,
		"KVM_GET_ONE_REG":     0x4010AEAB,
		"KVM_ENABLE_CAP":      0x4068AEA3,
	}
	if mipsPPC {
		want = map[string]uint64{
			"KVM_RUN":             0x2000AE80,
			"KVM_CHECK_EXTENSION": 0x2000AE03,
			"KVM_GET_MP_STATE":    0x4004AE98,
			"KVM_SET_MP_STATE":    0x8004AE99,
			"KVM_SET_SIGNAL_MASK": 0x8004AE8B,
			"KVM_GET_ONE_REG":     0x8010AEAB,
			"KVM_ENABLE_CAP":      0x8068AEA3,
		}
	}
	got := map[string]uint64{
		"KVM_RUN":             KVM_RUN,
		"KVM_CHECK_EXTENSION": KVM_CHECK_EXTENSION,
		"KVM_GET_MP_STATE":    KVM_GET_MP_STATE,
		"KVM_SET_MP_STATE":    KVM_SET_MP_STATE,
		"KVM_SET_SIGNAL_MASK": KVM_SET_SIGNAL_MASK,
		"KVM_GET_ONE_REG":     KVM_GET_ONE_REG,
		"KVM_ENABLE_CAP":      KVM_ENABLE_CAP,
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s on %s = %#x, want %#x", name, runtime.GOARCH, got[name], w)
		}
	}
}

func TestPinnedRunLayout(t *testing.T) {
	union, size := 32, 0x930
	if runtime.GOARCH == "s390x" {
		union, size = 48, 0x940
	}
	checks := []struct {
		name      string
		got, want int
	}{
		{"immediate_exit", OffRunImmediateExit, 1},
		{"exit_reason", OffRunExitReason, 8},
		{"exit union", OffRunExitUnion, union},
		{"io.port", OffRunIOPort, union + 2},
		{"io.data_offset", OffRunIODataOffset, union + 8},
		{"mmio.phys_addr", OffRunMMIOPhysAddr, union},
		{"mmio.data", OffRunMMIOData, union + 8},
		{"mmio.len", OffRunMMIOLen, union + 16},
		{"mmio.is_write", OffRunMMIOIsWrite, union + 20},
		{"hypercall.ret", OffRunHypercallRet, union + 56},
		{"riscv_sbi.ret", OffRunRiscvSbiRet, union + 64},
		{"papr_hcall.args", OffRunPaprHcallArgs, union + 16},
		{"kvm_valid_regs", OffRunKvmValidRegs, union + 256},
		{"sizeof(struct kvm_run)", SizeofRun, size},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s on %s at %d, want %d", c.name, runtime.GOARCH, c.got, c.want)
		}
	}
}

func TestStructSizes(t *testing.T) {
	if s := unsafe.Sizeof(UserspaceMemoryRegion{}); s != 32 {
		t.Errorf("sizeof(kvm_userspace_memory_region) = %d, want 32", s)
	}
	if s := unsafe.Sizeof(EnableCap{}); s != 104 {
		t.Errorf("sizeof(kvm_enable_cap) = %d, want 104", s)
	}
	if s := unsafe.Sizeof(MSI{}); s != 32 {
		t.Errorf("sizeof(kvm_msi) = %d, want 32", s)
	}
	if SizeofSignalMaskHeader != 4 {
		t.Errorf("sizeof(kvm_signal_mask) = %d, want 4", SizeofSignalMaskHeader)
	}
	wantRegs := map[string]int{"amd64": 144, "s390x": 128, "loong64": 264, "arm64": 864, "riscv64": 0,
		"mips64": 280, "mips64le": 280, "ppc64": 392, "ppc64le": 392}
	if w, ok := wantRegs[runtime.GOARCH]; ok && SizeofRegs != w {
		t.Errorf("sizeof(kvm_regs) on %s = %d, want %d", runtime.GOARCH, SizeofRegs, w)
	}
}
