// Package hostinfo describes the machine under test the way every kvmconform
// report records it: GOARCH, kernel release, machine, loaded KVM modules,
// device, CPU vendor and model (/proc/cpuinfo) and the KVM capabilities the
// suites probed.
package hostinfo

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Info is what every report records about the machine under test. The
// suites attach it to their report as the entry "host" (its JSON in
// AsJSON, String in Representation).
type Info struct {
	GOARCH  string   `json:"goarch"`  // the architecture the binary was built for (runtime.GOARCH)
	Kernel  string   `json:"kernel"`  // uname -r
	Machine string   `json:"machine"` // uname -m
	Modules []string `json:"modules"` // loaded KVM modules (/sys/module/kvm*), e.g. kvm, kvm_amd
	Device  string   `json:"device"`  // the device path used
	// CPUVendor and CPUModel are what /proc/cpuinfo says (ReadCPU).
	CPUVendor string `json:"cpuVendor,omitempty"`
	CPUModel  string `json:"cpuModel,omitempty"`
	// KVM is why the device could not be used ("" if it could).
	KVM string `json:"kvmUnavailable,omitempty"`
	// APIVersion is KVM_GET_API_VERSION (0 when the device did not open).
	APIVersion int `json:"kvmApiVersion,omitempty"`
	// Caps are the KVM capabilities probed with KVM_CHECK_EXTENSION on the
	// system fd, in the order probed.
	Caps []Cap `json:"caps,omitempty"`
}

// Cap is one capability probed: its name without KVM_CAP_ and what
// KVM_CHECK_EXTENSION returned (Err is the errno's name if it failed).
type Cap struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
	Err   string `json:"err,omitempty"`
}

func (c Cap) String() string {
	if c.Err != "" {
		return c.Name + "=" + c.Err
	}
	return c.Name + "=" + strconv.FormatInt(c.Value, 10)
}

// CapsString is "IMMEDIATE_EXIT=1 MP_STATE=1 ..." ("not probed" when
// empty).
func (h Info) CapsString() string {
	if len(h.Caps) == 0 {
		return "not probed"
	}
	parts := make([]string, len(h.Caps))
	for i, c := range h.Caps {
		parts[i] = c.String()
	}
	return strings.Join(parts, " ")
}

// CPU is "AuthenticAMD, AMD EPYC", either part alone, or "unknown".
func (h Info) CPU() string {
	switch {
	case h.CPUVendor != "" && h.CPUModel != "":
		return h.CPUVendor + ", " + h.CPUModel
	case h.CPUVendor != "" || h.CPUModel != "":
		return h.CPUVendor + h.CPUModel
	}
	return "unknown"
}

// A Fact is one named host fact as the reports show it.
type Fact struct{ Name, Value string }

// Facts are the host facts every report format carries, in this order:
// kernel release, GOARCH (and machine), KVM modules, CPU, KVM device (and
// why it could not be used), capabilities.
func (h Info) Facts() []Fact {
	mods := strings.Join(h.Modules, ",")
	if mods == "" {
		mods = "none"
	}
	arch := h.GOARCH
	if h.Machine != "" && h.Machine != arch {
		arch += " (" + h.Machine + ")"
	}
	dev := h.Device
	if h.KVM != "" {
		dev += ": unavailable: " + h.KVM
	} else if h.APIVersion != 0 {
		dev += fmt.Sprintf(", API version %d", h.APIVersion)
	}
	return []Fact{
		{"kernel", h.Kernel},
		{"GOARCH", arch},
		{"KVM modules", mods},
		{"CPU", h.CPU()},
		{"KVM device", dev},
		{"capabilities", h.CapsString()},
	}
}

// Read collects Info for the KVM device at device.
func Read(device string) Info {
	var u unix.Utsname
	info := Info{GOARCH: runtime.GOARCH, Device: device}
	if unix.Uname(&u) == nil {
		info.Kernel = unix.ByteSliceToString(u.Release[:])
		info.Machine = unix.ByteSliceToString(u.Machine[:])
	}
	dirs, _ := filepath.Glob("/sys/module/kvm*")
	for _, d := range dirs {
		info.Modules = append(info.Modules, filepath.Base(d))
	}
	sort.Strings(info.Modules)
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		info.CPUVendor, info.CPUModel = ParseCPUInfo(string(data))
	}
	return info
}

// armImplementers names the arm64 "CPU implementer" codes of
// arch/arm64/include/asm/cputype.h.
var armImplementers = map[string]string{
	"0x41": "ARM", "0x42": "Broadcom", "0x43": "Cavium", "0x46": "Fujitsu", "0x48": "HiSilicon",
	"0x4e": "NVIDIA", "0x50": "APM", "0x51": "Qualcomm", "0x61": "Apple", "0x6d": "Microsoft", "0xc0": "Ampere",
}

// ParseCPUInfo reads the first processor's vendor and model from
// /proc/cpuinfo, whose keys differ per architecture: x86 vendor_id and
// model name; arm64 CPU implementer and CPU part (there is no name);
// ppc64 cpu (and machine); s390x vendor_id and the machine type; riscv64
// mvendorid and uarch (or isa); loongarch Model Name; mips cpu model.
func ParseCPUInfo(s string) (vendor, model string) {
	kv := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, seen := kv[k]; !seen && v != "" {
			kv[k] = v
		}
	}
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := kv[k]; v != "" {
				return v
			}
		}
		return ""
	}
	vendor = first("vendor_id", "vendor")
	if impl := kv["CPU implementer"]; vendor == "" && impl != "" {
		vendor = impl
		if n, ok := armImplementers[strings.ToLower(impl)]; ok {
			vendor = n + " (" + impl + ")"
		}
	}
	if vendor == "" {
		vendor = first("mvendorid")
	}
	model = first("model name", "Model Name", "cpu model", "cpu", "uarch")
	if model == "" {
		if part := kv["CPU part"]; part != "" {
			model = "CPU part " + part
			if v := kv["CPU variant"]; v != "" {
				model += ", variant " + v
			}
			if r := kv["CPU revision"]; r != "" {
				model += ", revision " + r
			}
		}
	}
	if m := first("machine"); m != "" && model != "" && kv["cpu"] != "" {
		model += " (" + m + ")" // ppc64: "POWER9 (architected), altivec supported (PowerNV 9006-22P)"
	}
	if model == "" {
		// s390x: "processor 0: version = FF,  identification = ..., machine = 8561"
		if p := kv["processor 0"]; p != "" {
			if _, m, ok := strings.Cut(p, "machine = "); ok {
				model = "machine " + strings.TrimSpace(m)
			}
		}
	}
	if model == "" {
		model = first("isa")
	}
	return vendor, model
}

// String renders Info on one line; Parse reads it back.
func (h Info) String() string {
	mods := strings.Join(h.Modules, ",")
	if mods == "" {
		mods = "none"
	}
	return fmt.Sprintf("kernel %s (%s), KVM modules: %s, device %s", h.Kernel, h.Machine, mods, h.Device)
}

// Parse reads the one-line form String writes, which is also what reports
// written before Info carried GOARCH hold as the "host" entry:
//
//	kernel 6.18.44-fc-v657 (x86_64), KVM modules: kvm,kvm_pvm, device /dev/kvm
//
// GOARCH is derived from the machine (GOARCHFor).
func Parse(s string) (Info, error) {
	bad := func(why string) (Info, error) {
		return Info{}, fmt.Errorf("host %q: %s (want \"kernel RELEASE (MACHINE), KVM modules: A,B, device PATH\")", s, why)
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "kernel ")
	if !ok {
		return bad("no \"kernel \" at the start")
	}
	release, rest, ok := strings.Cut(rest, " (")
	if !ok {
		return bad("no \" (\" after the kernel release")
	}
	machine, rest, ok := strings.Cut(rest, "), KVM modules: ")
	if !ok {
		return bad("no \"), KVM modules: \" after the machine")
	}
	mods, device, ok := strings.Cut(rest, ", device ")
	if !ok {
		return bad("no \", device \" after the modules")
	}
	info := Info{GOARCH: GOARCHFor(machine), Kernel: release, Machine: machine, Device: device}
	if mods != "none" && mods != "" {
		info.Modules = strings.Split(mods, ",")
	}
	return info, nil
}

// GOARCHFor maps a uname -m machine to its GOARCH ("" if unknown). mips64
// is big-endian's name and little-endian's too; it maps to mips64.
func GOARCHFor(machine string) string {
	switch machine {
	case "x86_64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "ppc64le", "ppc64", "s390x", "riscv64", "mips64":
		return machine
	case "mips64el":
		return "mips64le"
	case "loongarch64":
		return "loong64"
	}
	return ""
}
