// Package hostinfo describes the machine under test the way every kvmconform
// report records it: kernel release, machine, loaded KVM modules, device.
package hostinfo

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Info is what every report records about the machine under test.
type Info struct {
	Kernel  string   `json:"kernel"`  // uname -r
	Machine string   `json:"machine"` // uname -m
	Modules []string `json:"modules"` // loaded KVM modules (/sys/module/kvm*), e.g. kvm, kvm_amd
	Device  string   `json:"device"`  // the device path used
}

// Read collects Info for the KVM device at device.
func Read(device string) Info {
	var u unix.Utsname
	info := Info{Device: device}
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

// String renders Info on one line.
func (h Info) String() string {
	mods := strings.Join(h.Modules, ",")
	if mods == "" {
		mods = "none"
	}
	return fmt.Sprintf("kernel %s (%s), KVM modules: %s, device %s", h.Kernel, h.Machine, mods, h.Device)
}
