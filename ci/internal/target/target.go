// Package target names the CPU architectures the QEMU runner knows and
// translates between the names Go, Debian and QEMU use for them.
package target

import (
	"fmt"
	"sort"
	"strings"
)

// Arch is one target architecture.
type Arch struct {
	// GOARCH is the Go name (amd64, arm64, ppc64le, riscv64, s390x, mips64le).
	GOARCH string
	// Debian is the Debian architecture name (amd64, arm64, ppc64el, ...).
	Debian string
	// NoKVM, when set, says why this architecture cannot run KVM under QEMU
	// TCG; its suites are only cross-built and vetted.
	NoKVM string
}

// Bootable reports whether the architecture can run KVM nested under QEMU TCG.
func (a Arch) Bootable() bool { return a.NoKVM == "" }

func (a Arch) String() string { return a.GOARCH }

// Set parses s as Parse does, so that *Arch is a flag.Value: a command
// line's architecture is parsed once, where it is read, and travels as an
// Arch from there.
func (a *Arch) Set(s string) error {
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// IsZero reports whether a names no architecture (a flag that was not
// given).
func (a Arch) IsZero() bool { return a.GOARCH == "" }

// NoEmulation is the reason given for architectures whose KVM cannot run
// under QEMU TCG.
const NoEmulation = "no emulation path for KVM under QEMU; cross-built and vetted only"

var all = []Arch{
	{GOARCH: "amd64", Debian: "amd64"},
	{GOARCH: "arm64", Debian: "arm64"},
	{GOARCH: "ppc64le", Debian: "ppc64el"},
	{GOARCH: "riscv64", Debian: "riscv64"},
	{GOARCH: "s390x", Debian: "s390x", NoKVM: NoEmulation},
	{GOARCH: "mips64le", Debian: "mips64el", NoKVM: NoEmulation},
}

// aliases maps other common spellings to the Go name.
var aliases = map[string]string{
	"x86_64":   "amd64",
	"aarch64":  "arm64",
	"ppc64el":  "ppc64le",
	"mips64el": "mips64le",
}

// All returns every known architecture, bootable ones first.
func All() []Arch { return append([]Arch(nil), all...) }

// Parse returns the architecture named by s (Go, Debian or QEMU spelling).
func Parse(s string) (Arch, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if a, ok := aliases[name]; ok {
		name = a
	}
	for _, a := range all {
		if a.GOARCH == name {
			return a, nil
		}
	}
	names := make([]string, 0, len(all))
	for _, a := range all {
		names = append(names, a.GOARCH)
	}
	sort.Strings(names)
	return Arch{}, fmt.Errorf("unknown architecture %q (want one of %s)", s, strings.Join(names, ", "))
}
