package ppc64

// MSR bits (Power ISA v3.0 Book III, bit 0 being the most significant); the
// kernel's definitions are in arch/powerpc/include/asm/reg.h, which is not
// part of the uapi headers.
const (
	MSR_SF = 1 << 63 // 64-bit mode
	MSR_ME = 1 << 12 // machine check enable
	MSR_IR = 1 << 5  // instruction relocation (off: real mode)
	MSR_DR = 1 << 4  // data relocation (off: real mode)
	MSR_RI = 1 << 1  // recoverable interrupt
	MSR_LE = 1 << 0  // little-endian mode
)

// GuestLittleEndian says the guest images are little-endian: guests/ builds
// ppc64 images for little-endian only, on every host, since a Book3S HV
// guest's byte order is its own (MSR.LE), not the host's. SetEntry therefore
// sets MSR.LE on ppc64 (big-endian) hosts too.
const GuestLittleEndian = true

// EntryMSR is the MSR SetEntry gives: 64-bit real mode with machine checks
// enabled and the interrupt state recoverable, little-endian for little-endian
// guest images (0x8000000000001003), big-endian otherwise.
func EntryMSR(littleEndian bool) uint64 {
	msr := uint64(MSR_SF | MSR_ME | MSR_RI)
	if littleEndian {
		msr |= MSR_LE
	}
	return msr
}
