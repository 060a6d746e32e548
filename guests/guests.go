package guests

import (
	"bytes"
	"debug/elf"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
)

//go:embed images
var images embed.FS

// The architecture vocabulary: the directory names under src/ and images/.
const (
	X86     = "x86"     // amd64 hosts; 16-bit real and 32-bit protected mode guests
	ARM64   = "arm64"   // AArch64, EL1
	PPC64   = "ppc64"   // Book3S, 64-bit little-endian real mode
	RISCV64 = "riscv64" // RV64, VS-mode
	S390X   = "s390x"   // z/Architecture
	MIPS    = "mips"    // MIPS64r2 little-endian, kernel mode
)

// Arches lists the architectures that have guest images.
func Arches() []string {
	return []string{X86, ARM64, PPC64, RISCV64, S390X, MIPS}
}

// HostArch is the architecture of guests that the running host's KVM
// runs, or "" if there are no images for it. ppc64 (big-endian) maps to
// ppc64 too: a Book3S guest's byte order is its own (MSR.LE), not the
// host's. mips64 (big-endian) maps to "": a MIPS guest has the byte order
// the CPU was built with, and the images are little-endian.
func HostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return X86
	case "arm64":
		return ARM64
	case "ppc64le", "ppc64":
		return PPC64
	case "riscv64":
		return RISCV64
	case "s390x":
		return S390X
	case "mips64le":
		return MIPS
	}
	return ""
}

// Image is one guest program, loaded from its ELF file.
type Image struct {
	Arch     string
	Name     string            // the scenario
	Entry    uint64            // the initial PC (= _start; a KSEG0 address on mips)
	Segments []Segment         // what to copy into guest RAM
	Symbols  map[string]uint64 // every named symbol: code and data addresses, .equ constants
}

// Segment is a loadable part of an image.
type Segment struct {
	Phys  uint64 // guest-physical load address (the ELF physical address)
	Virt  uint64 // the address the guest's code uses: Phys, except KSEG0 on mips
	Data  []byte // the bytes from the file
	Memsz uint64 // the size in guest memory; bytes past len(Data) are zero
}

// Has reports whether arch has an image for scenario.
func Has(arch, scenario string) bool {
	if !validName(arch) || !validName(scenario) {
		return false
	}
	_, err := fs.Stat(images, imagePath(arch, scenario))
	return err == nil
}

// Scenarios lists the scenarios arch has images for, sorted; nil for an
// architecture without images.
func Scenarios(arch string) []string {
	if !validName(arch) {
		return nil
	}
	entries, err := fs.ReadDir(images, "images/"+arch)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".elf"); ok {
			names = append(names, name)
		}
	}
	return names
}

// Load reads the image of scenario for arch.
func Load(arch, scenario string) (*Image, error) {
	if !Has(arch, scenario) {
		return nil, fmt.Errorf("guests: no image %s/%s: %s", arch, scenario, Reason(arch, scenario))
	}
	raw, err := images.ReadFile(imagePath(arch, scenario))
	if err != nil {
		return nil, fmt.Errorf("guests: %s/%s: %w", arch, scenario, err)
	}
	im, err := parse(arch, scenario, raw)
	if err != nil {
		return nil, fmt.Errorf("guests: %s/%s: %w", arch, scenario, err)
	}
	return im, nil
}

// Sym returns the address (or, for an .equ constant, the value) of a
// symbol. Addresses are what the guest's code uses, so they compare with
// its PC; see SymPhys for guest-physical addresses.
func (im *Image) Sym(name string) (uint64, error) {
	v, ok := im.Symbols[name]
	if !ok {
		return 0, fmt.Errorf("guests: %s/%s has no symbol %q", im.Arch, im.Name, name)
	}
	return v, nil
}

// MustSym is Sym for symbols the image is documented to have; it panics
// if the symbol is missing.
func (im *Image) MustSym(name string) uint64 {
	v, err := im.Sym(name)
	if err != nil {
		panic(err)
	}
	return v
}

// SymPhys returns the guest-physical address of a symbol that lies in a
// segment, e.g. a data word the host reads from guest RAM.
func (im *Image) SymPhys(name string) (uint64, error) {
	v, err := im.Sym(name)
	if err != nil {
		return 0, err
	}
	for _, s := range im.Segments {
		if v >= s.Virt && v-s.Virt < s.Memsz {
			return s.Phys + (v - s.Virt), nil
		}
	}
	return 0, fmt.Errorf("guests: %s/%s: symbol %q (%#x) is not in a loadable segment", im.Arch, im.Name, name, v)
}

// CopyTo copies the segments into ram, the host view of guest-physical
// memory starting at base, zero-filling each segment up to its Memsz. It
// fails, copying nothing, if a segment does not fit.
func (im *Image) CopyTo(ram []byte, base uint64) error {
	for _, s := range im.Segments {
		if s.Phys < base || s.Phys-base > uint64(len(ram)) || s.Memsz > uint64(len(ram))-(s.Phys-base) {
			return fmt.Errorf("guests: %s/%s: segment [%#x, %#x) is outside RAM [%#x, %#x)",
				im.Arch, im.Name, s.Phys, s.Phys+s.Memsz, base, base+uint64(len(ram)))
		}
	}
	for _, s := range im.Segments {
		dst := ram[s.Phys-base : s.Phys-base+s.Memsz]
		n := copy(dst, s.Data)
		clear(dst[n:])
	}
	return nil
}

func imagePath(arch, scenario string) string {
	return "images/" + arch + "/" + scenario + ".elf"
}

// validName rejects names that fs would treat as paths or reject.
func validName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\")
}

// machine is the ELF machine of each architecture's images.
func machine(arch string) elf.Machine {
	switch arch {
	case X86:
		return elf.EM_386
	case ARM64:
		return elf.EM_AARCH64
	case PPC64:
		return elf.EM_PPC64
	case RISCV64:
		return elf.EM_RISCV
	case S390X:
		return elf.EM_S390
	case MIPS:
		return elf.EM_MIPS
	}
	return elf.EM_NONE
}

// parse decodes an image's ELF file.
func parse(arch, scenario string, raw []byte) (*Image, error) {
	f, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if want := machine(arch); f.Machine != want {
		return nil, fmt.Errorf("ELF machine %v, want %v", f.Machine, want)
	}
	im := &Image{Arch: arch, Name: scenario, Entry: f.Entry, Symbols: map[string]uint64{}}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if p.Filesz > p.Memsz {
			return nil, fmt.Errorf("segment at %#x: file size %#x > memory size %#x", p.Paddr, p.Filesz, p.Memsz)
		}
		data := make([]byte, p.Filesz)
		if _, err := io.ReadFull(p.Open(), data); err != nil {
			return nil, fmt.Errorf("segment at %#x: %w", p.Paddr, err)
		}
		im.Segments = append(im.Segments, Segment{Phys: p.Paddr, Virt: p.Vaddr, Data: data, Memsz: p.Memsz})
	}
	if len(im.Segments) == 0 {
		return nil, errors.New("no loadable segment")
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("symbols: %w", err)
	}
	for _, s := range syms {
		switch elf.ST_TYPE(s.Info) {
		case elf.STT_FILE, elf.STT_SECTION:
			continue
		}
		if s.Name == "" || strings.HasPrefix(s.Name, "$") {
			continue // unnamed, or an arm64/riscv64 mapping symbol ($x, $d, ...)
		}
		if old, dup := im.Symbols[s.Name]; dup && old != s.Value {
			return nil, fmt.Errorf("symbol %q defined twice (%#x, %#x)", s.Name, old, s.Value)
		}
		im.Symbols[s.Name] = s.Value
	}
	return im, nil
}
