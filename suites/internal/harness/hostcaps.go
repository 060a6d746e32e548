package harness

import (
	"runtime"
	"strings"

	"github.com/kvmconform/kvmconform/internal/hostinfo"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
)

// probedCaps are the capabilities every report records: the ones the specs
// require or branch on, and the common ones a reader of a report asks about
// first. Architecture-named ones are probed only on their architecture.
var probedCaps = []struct {
	name   string
	cap    uintptr
	goarch string // the GOARCH (prefix) an architecture's own capability belongs to
}{
	{"IMMEDIATE_EXIT", uapi.KVM_CAP_IMMEDIATE_EXIT, ""},
	{"MP_STATE", uapi.KVM_CAP_MP_STATE, ""},
	{"SYNC_REGS", uapi.KVM_CAP_SYNC_REGS, ""},
	{"EXIT_HYPERCALL", uapi.KVM_CAP_EXIT_HYPERCALL, ""},
	{"IRQCHIP", uapi.KVM_CAP_IRQCHIP, ""},
	{"SET_BOOT_CPU_ID", uapi.KVM_CAP_SET_BOOT_CPU_ID, ""},
	{"ONE_REG", uapi.KVM_CAP_ONE_REG, ""},
	{"ENABLE_CAP", uapi.KVM_CAP_ENABLE_CAP, ""},
	{"NR_VCPUS", uapi.KVM_CAP_NR_VCPUS, ""},
	{"MAX_VCPUS", uapi.KVM_CAP_MAX_VCPUS, ""},
	{"COALESCED_MMIO", uapi.KVM_CAP_COALESCED_MMIO, ""},
	{"X86_USER_SPACE_MSR", uapi.KVM_CAP_X86_USER_SPACE_MSR, "amd64"},
	{"X86_SMM", uapi.KVM_CAP_X86_SMM, "amd64"},
	{"SPLIT_IRQCHIP", uapi.KVM_CAP_SPLIT_IRQCHIP, "amd64"},
	{"X2APIC_API", uapi.KVM_CAP_X2APIC_API, "amd64"},
	{"ARM_PSCI_0_2", uapi.KVM_CAP_ARM_PSCI_0_2, "arm64"},
	{"ARM_NISV_TO_USER", uapi.KVM_CAP_ARM_NISV_TO_USER, "arm64"},
	{"ARM_SYSTEM_SUSPEND", uapi.KVM_CAP_ARM_SYSTEM_SUSPEND, "arm64"},
	{"PPC_PAPR", uapi.KVM_CAP_PPC_PAPR, "ppc64"},
	{"S390_USER_SIGP", uapi.KVM_CAP_S390_USER_SIGP, "s390x"},
	{"S390_VCPU_RESETS", uapi.KVM_CAP_S390_VCPU_RESETS, "s390x"},
}

// probeHost fills in what the KVM device says about itself: why it cannot
// be used, or its API version and the capabilities (KVM_CHECK_EXTENSION on
// the system fd).
func probeHost(info *hostinfo.Info) {
	sys, reason := kvm.Probe(info.Device)
	if sys == nil {
		info.KVM = reason
		return
	}
	defer sys.Close()
	if r := sys.APIVersion(); r.OK() {
		info.APIVersion = int(r.Ret)
	}
	for _, c := range probedCaps {
		if c.goarch != "" && !strings.HasPrefix(runtime.GOARCH, c.goarch) {
			continue
		}
		r := sys.CheckExtension(c.cap)
		hc := hostinfo.Cap{Name: c.name, Value: int64(r.Ret)}
		if !r.OK() {
			hc.Value, hc.Err = -1, kvm.ErrnoName(r.Errno)
			if r.Unanswered != nil {
				hc.Err = r.Unanswered.Error()
			}
		}
		info.Caps = append(info.Caps, hc)
	}
}
