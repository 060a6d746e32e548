// Package variant names the KVM implementations the runner can boot for one
// architecture: the architecture's default (the QEMU machine of qemu.For
// and the modules of kernel.KVMModules) and the variants that change the
// machine, the guest kernel's command line, the KVM modules or the kernel,
// such as arm64 nVHE or ppc64le Book3S PR (on a kernel the runner builds).
// A variant that cannot run here carries the reason instead.
package variant

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kvmconform/kvmconform/ci/internal/qemu"
)

// Skiboot is the OPAL firmware QEMU's powernv machines load by default
// (Debian's qemu-system-data).
const Skiboot = "/usr/share/qemu/skiboot.lid"

// Variant is one KVM implementation of an architecture.
type Variant struct {
	// GOARCH is the architecture; Name the variant ("" for the default).
	GOARCH, Name string
	// KVM describes the implementation under test (metadata.json
	// "kvmImplementation").
	KVM string
	// Machine, if set, replaces the QEMU machine's Args (-M, -cpu).
	Machine []string
	// Memory, if set, replaces the guest's memory size.
	Memory string
	// Firmware, if set, must exist (FirmwarePackage ships it).
	Firmware, FirmwarePackage string
	// Append is added to the guest kernel's command line.
	Append string
	// Modules, if set, are the KVM modules to extract and load instead of
	// the architecture's default ones.
	Modules []string
	// Mode is the KVM mode the guest's kernel log must show (see
	// DetectMode); empty: any.
	Mode string
	// Releases are the Debian releases the matrix runs it on (none: not
	// in the matrix).
	Releases []string
	// Unavailable, if set, says why the variant cannot run on this
	// machine; the matrix shows it as the row's note.
	Unavailable string
	// NoDebian, if set, says why no Debian kernel can run the variant:
	// with a debian: kernel it is unavailable, with a kernel built here
	// (Kernel) or a kernel image file (and modules directory) it boots.
	NoDebian string
	// Kernel, if set, is the kernel spec the variant boots when none is
	// given (--variant alone) and the one its matrix row boots: a recipe
	// the runner builds (build:<name>, ci/kernels).
	Kernel string
	// OffMatrix, if set, says why a variant that boots is not in the
	// matrix (it runs with --variant, for whoever takes it further).
	OffMatrix string
}

// Label is the suffix a variant adds to output directories and row names
// ("" for the default).
func (v Variant) Label() string { return v.Name }

var all = []Variant{
	{GOARCH: "amd64", KVM: "kvm_amd: AMD SVM with nested paging, emulated by QEMU TCG"},
	{GOARCH: "amd64", Name: "intel", KVM: "kvm_intel: Intel VMX",
		Unavailable: "kvm_intel not run: no emulator on this machine has Intel VMX (QEMU TCG emulates AMD SVM only)"},
	{GOARCH: "arm64", KVM: "arm64 KVM in the mode the kernel chose at EL2 (VHE: -cpu max has FEAT_VHE)"},
	{GOARCH: "arm64", Name: "nvhe", KVM: "arm64 KVM in nVHE mode (kvm-arm.mode=nvhe: the kernel at EL1, KVM's hyp code at EL2)",
		Append: "kvm-arm.mode=nvhe", Mode: "nvhe", Releases: []string{"bookworm", "trixie"}},
	{GOARCH: "ppc64le", KVM: "kvm_hv (Book3S HV) nested on a pseries guest with cap-nested-hv (kvmhv_run_single_vcpu)"},
	{GOARCH: "ppc64le", Name: "pr", KVM: "kvm_pr (Book3S PR): the guest runs in problem state, privileged instructions trap and are emulated",
		Machine: []string{"-M", "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off", "-cpu", "power9"},
		Append:  "disable_radix", Modules: []string{"kvm_pr"}, Mode: "pr", Kernel: "build:ppc64le-pr",
		NoDebian: "Debian's ppc64el kernels ship no kvm-pr.ko: arch/powerpc/kvm/Kconfig has KVM_BOOK3S_64_PR depend on !CONTEXT_TRACKING_USER, " +
			"and Debian's config sets NO_HZ_FULL=y, which selects CONTEXT_TRACKING_USER=y (bookworm 6.1 and trixie 6.12 alike); " +
			"boot it with --kernel build:ppc64le-pr (built here from Debian's linux-source-6.1 and cached) or --kernel FILE --modules DIR from a kernel built with CONFIG_KVM_BOOK3S_64_PR=m"},
	{GOARCH: "ppc64le", Name: "powernv", KVM: "kvm_hv (Book3S HV) on a bare-metal POWER9 (QEMU powernv9 with skiboot): kvmhv_run_single_vcpu without nesting (kvmhv_vcpu_entry_p9)",
		Machine: []string{"-M", "powernv9", "-cpu", "power9"}, Memory: "2G",
		Firmware: Skiboot, FirmwarePackage: "qemu-system-data", Mode: "hv", Releases: []string{"bookworm", "trixie"}},
	{GOARCH: "ppc64le", Name: "powernv8", KVM: "kvm_hv (Book3S HV) on a bare-metal POWER8 (QEMU powernv8 with skiboot): kvmppc_run_vcpu / kvmppc_run_core and the real-mode entry",
		Machine: []string{"-M", "powernv8", "-cpu", "power8"}, Memory: "2G",
		Firmware: Skiboot, FirmwarePackage: "qemu-system-data", Mode: "hv",
		OffMatrix: "kvm_hv loads, but no guest runs its first instruction: the vCPUs sit at the program-check vector (pc=0x700, SRR1 illegal instruction) until the watchdog; on a hash-MMU host the real-mode guest's doorbell store finds no HPTE in the VRMA and kvmppc_hdsi gives the guest a DSI instead of an MMIO exit (see docs/implementations.md)"},
	{GOARCH: "riscv64", KVM: "RISC-V KVM on the H extension, emulated by QEMU TCG"},
	{GOARCH: "s390x", KVM: "s390 KVM (SIE)"},
	{GOARCH: "s390x", Name: "hercules", KVM: "s390 KVM (SIE) under the Hercules emulator (Debian's hercules 3.13)",
		Unavailable: "kvm.ko initialises under Hercules 3.13 (SIEF2 set, /dev/kvm live), but no Go binary runs there: " +
			"Go >= 1.19 needs z13's vector facility and exits with \"runtime: This CPU has no floating point hardware, so this program cannot be run.\" (see README)"},
	{GOARCH: "mips64le", KVM: "MIPS KVM (VZ)"},
}

// All returns every variant, defaults first within each architecture.
func All() []Variant { return slices.Clone(all) }

// Of returns the variants of an architecture, the default first.
func Of(goarch string) []Variant {
	var vs []Variant
	for _, v := range all {
		if v.GOARCH == goarch {
			vs = append(vs, v)
		}
	}
	return vs
}

// Lookup returns an architecture's variant by name ("" for the default,
// which every architecture has).
func Lookup(goarch, name string) (Variant, error) {
	if name == "" {
		for _, v := range Of(goarch) {
			if v.Name == "" {
				return v, nil
			}
		}
		return Variant{GOARCH: goarch}, nil
	}
	var names []string
	for _, v := range Of(goarch) {
		if v.Name == name {
			return v, nil
		}
		if v.Name != "" {
			names = append(names, v.Name)
		}
	}
	if len(names) == 0 {
		return Variant{}, fmt.Errorf("%s has no variants", goarch)
	}
	return Variant{}, fmt.Errorf("%s has no variant %q (want one of %s)", goarch, name, strings.Join(names, ", "))
}

// UnavailableFor says why the variant cannot boot the kernel spec
// ("debian:<release>...", "build:<recipe>" or an image file) here; "" when
// it can.
func (v Variant) UnavailableFor(kernelSpec string) string {
	if v.Unavailable != "" {
		return v.Unavailable
	}
	if v.NoDebian != "" && strings.HasPrefix(kernelSpec, "debian:") {
		return v.NoDebian
	}
	return ""
}

// InMatrix says whether the matrix boots the variant: on Debian releases
// or on its own Kernel.
func (v Variant) InMatrix() bool {
	return v.Unavailable == "" && v.OffMatrix == "" && (len(v.Releases) > 0 || v.Kernel != "")
}

// Note is the variant's note row in the matrix, when it cannot run here at
// all, or not with a Debian kernel and it has no kernel of its own; "" for
// the others.
func (v Variant) Note() string {
	if v.Unavailable != "" {
		return v.Unavailable
	}
	if v.NoDebian != "" && v.Kernel == "" {
		return v.NoDebian
	}
	return ""
}

// Apply returns the QEMU machine for the variant, made from the
// architecture's machine.
func (v Variant) Apply(m qemu.Machine) qemu.Machine {
	if v.Machine != nil {
		m.Args = slices.Clone(v.Machine)
	}
	if v.Firmware != "" {
		m.Firmware, m.FirmwarePackage = v.Firmware, v.FirmwarePackage
	}
	return m
}

// Options adds the variant's guest settings (kernel command line, memory)
// to a boot's QEMU options.
func (v Variant) Options(o qemu.Options) qemu.Options {
	if v.Append != "" {
		o.Append = strings.TrimSpace(o.Append + " " + v.Append)
	}
	if v.Memory != "" {
		o.Memory = v.Memory
	}
	return o
}

// Mode is what the guest's kernel says about the KVM implementation that
// came up: a short name and the line it came from.
type Mode struct {
	Name string `json:"name"`
	Line string `json:"line,omitempty"`
}

// modeLines are the kernel log lines that name the mode KVM initialised
// in: arm64's kvm_arm_init (arch/arm64/kvm/arm.c) and, for the modules that
// say nothing when they load, the module that is loaded.
var modeLines = []struct {
	goarch string
	re     *regexp.Regexp
	name   string
}{
	// 6.1: "VHE mode", "Hyp mode", "Protected nVHE mode"; 6.12:
	// "VHE mode", "Hyp nVHE mode", "Hyp hVHE mode", "Protected nVHE mode",
	// "Protected hVHE mode" ... "initialized successfully".
	{"arm64", regexp.MustCompile(`kvm \[\d+\]: VHE mode initialized successfully`), "vhe"},
	{"arm64", regexp.MustCompile(`kvm \[\d+\]: Protected [nh]VHE mode initialized successfully`), "protected"},
	{"arm64", regexp.MustCompile(`kvm \[\d+\]: Hyp hVHE mode initialized successfully`), "hvhe"},
	{"arm64", regexp.MustCompile(`kvm \[\d+\]: Hyp (?:nVHE )?mode initialized successfully`), "nvhe"},
	{"riscv64", regexp.MustCompile(`kvm \[\d+\]: hypervisor extension available`), "h"},
}

// klogPrefix matches the "<6>" level prefix and the timestamp of a kernel
// log record.
var klogPrefix = regexp.MustCompile(`^(?:<\d+>)?(?:\[\s*[0-9.]+\]\s*)?`)

// DetectMode reads the KVM mode from the guest's kernel log (dmesg) and
// the names of the loaded KVM modules: arm64 VHE, nVHE or protected from
// kvm_arm_init's line; ppc64le hv or pr from the module that is loaded
// (kvm_hv, kvm_pr); amd64 svm or vmx (kvm_amd, kvm_intel). The zero Mode
// means the log does not say.
func DetectMode(goarch string, dmesg []byte, modules []string) Mode {
	for _, l := range strings.Split(string(dmesg), "\n") {
		l = strings.TrimSpace(klogPrefix.ReplaceAllString(strings.TrimRight(l, "\r"), ""))
		for _, m := range modeLines {
			if m.goarch == goarch && m.re.MatchString(l) {
				return Mode{Name: m.name, Line: l}
			}
		}
	}
	byModule := map[string]string{"kvm_hv": "hv", "kvm_pr": "pr", "kvm_amd": "svm", "kvm_intel": "vmx", "kvm_pvm": "pvm"}
	var names []string
	for _, mod := range modules {
		if n, ok := byModule[strings.ReplaceAll(mod, "-", "_")]; ok {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		return Mode{Name: strings.Join(names, "+"), Line: "loaded: " + strings.Join(modules, ", ")}
	}
	return Mode{}
}

// CheckMode reports an error when the variant asks for a mode and the
// guest ran another one (a kernel that ignored kvm-arm.mode=nvhe would
// otherwise pass as nVHE).
func (v Variant) CheckMode(got Mode) error {
	if v.Mode == "" || got.Name == v.Mode {
		return nil
	}
	if got.Name == "" {
		return fmt.Errorf("variant %s wants KVM mode %s, but the guest's kernel log does not say which mode KVM initialised in", v.Name, v.Mode)
	}
	return fmt.Errorf("variant %s wants KVM mode %s, but the guest ran %s (%s)", v.Name, v.Mode, got.Name, got.Line)
}
