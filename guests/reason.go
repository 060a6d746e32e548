package guests

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// Reason says why arch has no image for scenario, in words fit for a
// spec's Skip; it is "" when Has(arch, scenario).
func Reason(arch, scenario string) string {
	if Has(arch, scenario) {
		return ""
	}
	switch {
	case arch == "" && runtime.GOARCH == "loong64", arch == "loong64":
		return "loong64 has no guest images: Debian bookworm has no loongarch64 binutils to build them"
	case arch == "":
		return fmt.Sprintf("no guest images for this host (GOARCH=%s)", runtime.GOARCH)
	case !slices.Contains(Arches(), arch):
		return fmt.Sprintf("unknown arch %q (the guest arches are %s)", arch, strings.Join(Arches(), ", "))
	}
	for _, f := range families() {
		if strings.HasPrefix(scenario, f.prefix) && !slices.Contains(f.arches, arch) {
			return fmt.Sprintf(f.why, arch)
		}
	}
	if strings.HasPrefix(scenario, "mmio-load-") {
		if arch == X86 && (scenario == "mmio-load-movq" || scenario == "mmio-load-q") {
			return "x86 has no 8-byte MMIO load: x86 images run in real or 32-bit protected mode, never long mode"
		}
		return fmt.Sprintf("%s has no %s: see MMIOLoads(%q) for its loads", arch, scenario, arch)
	}
	return fmt.Sprintf("%s has no scenario %q (see Scenarios(%q))", arch, scenario, arch)
}

// family is a group of scenarios that only some architectures have.
type family struct {
	prefix string   // scenario name or name prefix
	arches []string // the architectures that have the family
	why    string   // format with the arch that lacks it
}

// families are checked in order; the first whose prefix matches decides.
func families() []family {
	return []family{
		{"mmio-split", []string{X86}, "%s has no mmio-split: only x86's instruction emulator splits a page-crossing MMIO access into fragments"},
		{"mmio-", []string{X86, ARM64, PPC64, RISCV64, MIPS}, "%s has no MMIO: an access outside guest memory is an addressing exception in the guest"},
		{"pio-", []string{X86}, "%s has no port I/O"},
		{"rdmsr-", []string{X86}, "%s has no MSRs"},
		{"vmcall-", []string{X86}, "%s has no VMCALL: KVM_HC_MAP_GPA_RANGE is an x86 hypercall"},
		{"vmmcall-", []string{X86}, "%s has no VMMCALL: KVM_HC_MAP_GPA_RANGE is an x86 hypercall"},
		{"ap-trampoline", []string{X86}, "%s has no INIT/SIPI: its CPU bring-up is psci-caller (arm64), sbi-hsm-caller (riscv64) or sigp-caller (s390x)"},
		{"bsp-init-sipi-", []string{X86}, "%s has no INIT/SIPI: its CPU bring-up is psci-caller (arm64), sbi-hsm-caller (riscv64) or sigp-caller (s390x)"},
		{"cli-hlt", []string{X86}, "%s has no cli-hlt: it is x86's HLT with interrupts off (see halt)"},
		{"halt", []string{X86, ARM64, RISCV64, MIPS}, "%s has no halt scenario: PAPR guests (ppc64) idle with the H_CEDE hypercall and s390x guests with an enabled-wait PSW, both handled in the kernel"},
		{"nested-vmx", nil, "%s has no nested-vmx: VMX L1 not written: no VMX host or emulation to run it on (nested-svm is the AMD SVM L1; a VMX L1 would share its layout, guests/src/x86/nested.inc)"},
		{"nested-", []string{X86}, "%s has no nested-* scenario: the L1 hypervisor guests are written for x86 (nested-svm, AMD SVM)"},
		{"psci-", []string{ARM64}, "%s has no PSCI (arm64 only)"},
		{"sbi-", []string{RISCV64}, "%s has no SBI (riscv64 only)"},
		{"papr-", []string{PPC64}, "%s has no PAPR hypercalls (ppc64 only)"},
		{"sigp-", []string{S390X}, "%s has no SIGP (s390x only)"},
	}
}
