package guests

import (
	"encoding/binary"
	"fmt"
)

// MemoryLayout is the guest-physical memory map every image of an
// architecture assumes. The harness maps one memslot of RAMSize bytes at
// RAMBase, copies the image's segments into it (Image.CopyTo), and maps
// nothing else: MMIOBase and Doorbell must stay unbacked.
type MemoryLayout struct {
	RAMBase uint64
	RAMSize uint64

	// MMIOBase is the unbacked page that the mmio-* scenarios load from and
	// store to (x86 mmio-split also touches the page after it). It is in no
	// memslot and in no in-kernel device's range. 0 on s390x, which has no
	// MMIO.
	MMIOBase uint64

	// Doorbell is where a guest reports (see ReportValue): an unbacked
	// guest-physical address on arm64, ppc64, riscv64 and mips (a 4-byte
	// store, KVM_EXIT_MMIO), the I/O port on x86 (a 4-byte OUT,
	// KVM_EXIT_IO), and the DIAG code on s390x (DIAG 0x501,
	// KVM_EXIT_S390_SIEIC).
	Doorbell uint64
	// DoorbellKind says which exit carries a report and how to read it.
	DoorbellKind DoorbellKind
	// DoorbellReg is the register holding the reported value where the
	// exit itself carries none (s390x DIAG: "r2").
	DoorbellReg string

	// ByteOrder is the guest's byte order: how to read its RAM words (the
	// marker) and the data of its MMIO exits.
	ByteOrder binary.ByteOrder
}

// DoorbellKind is how a guest rings its doorbell.
type DoorbellKind uint8

// The doorbells: a 4-byte OUT of EAX to the port Doorbell (KVM_EXIT_IO), a
// 4-byte store to the unbacked address Doorbell (KVM_EXIT_MMIO), DIAG
// Doorbell with the value in DoorbellReg (KVM_EXIT_S390_SIEIC, an
// instruction intercept of opcode 0x83).
const (
	DoorbellPIO DoorbellKind = iota + 1
	DoorbellMMIO
	DoorbellDIAG
)

// String names the doorbell kind.
func (k DoorbellKind) String() string {
	switch k {
	case DoorbellPIO:
		return "port I/O"
	case DoorbellMMIO:
		return "MMIO store"
	case DoorbellDIAG:
		return "DIAG"
	}
	return fmt.Sprintf("DoorbellKind(%d)", uint8(k))
}

// Layout returns the memory layout of arch's images.
func Layout(arch string) (MemoryLayout, error) {
	const mib = 1 << 20
	le, be := binary.LittleEndian, binary.BigEndian
	switch arch {
	case X86:
		// 640 KiB: MMIO at 0xD0000 must stay below 1 MiB so that real
		// mode reaches it, and outside RAM. No LAPIC/IOAPIC addresses.
		return MemoryLayout{RAMBase: 0, RAMSize: 0xA0000, MMIOBase: 0xD0000, Doorbell: 0x0DB0, DoorbellKind: DoorbellPIO, ByteOrder: le}, nil
	case ARM64:
		return MemoryLayout{RAMBase: 0x40000000, RAMSize: mib, MMIOBase: 0x10000000, Doorbell: 0x10010000, DoorbellKind: DoorbellMMIO, ByteOrder: le}, nil
	case PPC64:
		return MemoryLayout{RAMBase: 0, RAMSize: mib, MMIOBase: 0x10000000, Doorbell: 0x10010000, DoorbellKind: DoorbellMMIO, ByteOrder: le}, nil
	case RISCV64:
		return MemoryLayout{RAMBase: 0x80000000, RAMSize: mib, MMIOBase: 0x10000000, Doorbell: 0x10010000, DoorbellKind: DoorbellMMIO, ByteOrder: le}, nil
	case S390X:
		// s390 memslots must be 1 MiB aligned in guest and host memory.
		return MemoryLayout{RAMBase: 0, RAMSize: mib, MMIOBase: 0, Doorbell: 0x501, DoorbellKind: DoorbellDIAG, DoorbellReg: "r2", ByteOrder: be}, nil
	case MIPS:
		return MemoryLayout{RAMBase: 0, RAMSize: mib, MMIOBase: 0x10000000, Doorbell: 0x10010000, DoorbellKind: DoorbellMMIO, ByteOrder: le}, nil
	}
	return MemoryLayout{}, fmt.Errorf("guests: no layout for arch %q: %s", arch, Reason(arch, "report"))
}

// ReportValue is the 32-bit value a guest reports through the doorbell:
// on x86 the data of a 4-byte OUT to the doorbell port (also in EAX); on
// arm64, ppc64, riscv64 and mips the data of a 4-byte store to the
// doorbell address, in the guest's byte order; on s390x the low 32 bits of
// r2 at the DIAG 0x501 exit. Scenarios that report call results (PSCI,
// SBI, SIGP) or their CS (the x86 AP trampoline) report those values
// instead of a constant.
type ReportValue uint32

const (
	ReportHello     ReportValue = 0x42 // the report scenario
	ReportDone      ReportValue = 0xD0 // after an instruction under test and the marker
	ReportSent      ReportValue = 0x1D // x86 bsp-init-sipi-*: INIT and SIPI written to the ICR
	ReportSecondary ReportValue = 0x5C // s390x sigp-caller: the CPU started by SIGP START
)

// Values the scenarios use; each image also has them as symbols
// (MARKER_VALUE, STORE_VALUE, POISON).
const (
	// MarkerValue is what a scenario stores to its 4-byte RAM word
	// `marker` (0 in the image) right after the instruction under test,
	// so a spec can tell whether the guest went past `after`.
	MarkerValue uint32 = 0x4D41524B

	// StoreValue is what mmio-store stores (4 bytes) and what pio-out-*
	// write (its low 1, 2 or 4 bytes).
	StoreValue uint32 = 0x89ABCDEF

	// Poison is what a scenario writes to the destination register before
	// the instruction under test; on x86 only its low 32 bits (EAX, and
	// EDX for rdmsr-unknown).
	Poison uint64 = 0x1111111111111111
)

// SIPIVector is the x86 start-up vector of the AP trampoline: it is at
// SIPIVector << 12 (symbol `trampoline`) and reports CS = SIPIVector << 8.
const SIPIVector = 0x08
