// Package hostinfo describes the machine under test the way every kvmconform
// report records it: GOARCH, kernel release, machine, loaded KVM modules,
// device.
package hostinfo

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
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
	return info
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
