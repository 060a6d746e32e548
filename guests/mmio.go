package guests

// MMIOLoad describes an mmio-load-* scenario: the guest sets Reg to
// Poison, then its instruction at `insn` (Insn) reads Width bytes at
// MemoryLayout.MMIOBase into Reg, exiting with KVM_EXIT_MMIO (len = Width,
// is_write = 0). Completing the exit writes Reg and moves the PC to `after`.
type MMIOLoad struct {
	Scenario string // the image name, mmio-load-<mnemonic>[-w|-x]
	Insn     string // the instruction at `insn`, in the image's GNU as syntax
	Reg      string // the destination register: "rax", "x1", "r4" or "a1"
	Width    int    // bytes read: the exit's mmio.len
	Signed   bool   // the value read is sign-extended, else zero-extended
	DestBits int    // how many low bits of Reg the load writes: 8, 16, 32 or 64
	Merge    bool   // the bits of Reg above DestBits keep their value (x86 AL, AX); else they become 0
	Poison   uint64 // Reg before the load (x86: EAX only, the rest of RAX is as it was)
}

// Expect returns Reg after the load completes with data, the first Width
// bytes of mmio.data read in the guest's byte order, where before is Reg
// at the exit.
func (l MMIOLoad) Expect(data, before uint64) uint64 {
	width := uint(8 * l.Width)
	v := data & lowBits(width)
	if l.Signed && width < 64 && v>>(width-1) == 1 {
		v |= ^lowBits(width)
	}
	dest := lowBits(uint(l.DestBits))
	v &= dest
	if l.Merge {
		v |= before &^ dest
	}
	return v
}

// lowBits is a mask of the n low bits, n <= 64.
func lowBits(n uint) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<n - 1
}

// MMIOLoads lists arch's mmio-load-* scenarios (nil for an architecture
// without MMIO). x86 has no 8-byte load: its images never enter long mode.
//
// The table is also the images' source: guests/build writes one program
// per entry from guests/src/<arch>/mmio-load.S.tmpl, with the entry's Insn
// at `insn`, so adding an entry here and running the build adds the image.
func MMIOLoads(arch string) []MMIOLoad {
	const x86Poison = Poison & 0xFFFFFFFF
	switch arch {
	case X86:
		return []MMIOLoad{
			{"mmio-load-movb", "movb %es:0, %al", "rax", 1, false, 8, true, x86Poison},
			{"mmio-load-movw", "movw %es:0, %ax", "rax", 2, false, 16, true, x86Poison},
			{"mmio-load-movl", "movl %es:0, %eax", "rax", 4, false, 32, false, x86Poison},
			{"mmio-load-movzbl", "movzbl %es:0, %eax", "rax", 1, false, 32, false, x86Poison},
			{"mmio-load-movsbl", "movsbl %es:0, %eax", "rax", 1, true, 32, false, x86Poison},
			{"mmio-load-movzwl", "movzwl %es:0, %eax", "rax", 2, false, 32, false, x86Poison},
			{"mmio-load-movswl", "movswl %es:0, %eax", "rax", 2, true, 32, false, x86Poison},
		}
	case ARM64:
		return []MMIOLoad{
			{"mmio-load-ldr-w", "ldr w1, [x0]", "x1", 4, false, 32, false, Poison},
			{"mmio-load-ldr-x", "ldr x1, [x0]", "x1", 8, false, 64, false, Poison},
			{"mmio-load-ldrb", "ldrb w1, [x0]", "x1", 1, false, 32, false, Poison},
			{"mmio-load-ldrh", "ldrh w1, [x0]", "x1", 2, false, 32, false, Poison},
			{"mmio-load-ldrsb-w", "ldrsb w1, [x0]", "x1", 1, true, 32, false, Poison},
			{"mmio-load-ldrsb-x", "ldrsb x1, [x0]", "x1", 1, true, 64, false, Poison},
			{"mmio-load-ldrsh-w", "ldrsh w1, [x0]", "x1", 2, true, 32, false, Poison},
			{"mmio-load-ldrsh-x", "ldrsh x1, [x0]", "x1", 2, true, 64, false, Poison},
			{"mmio-load-ldrsw", "ldrsw x1, [x0]", "x1", 4, true, 64, false, Poison},
		}
	case PPC64:
		return []MMIOLoad{
			{"mmio-load-lbz", "lbz %r4, 0(%r3)", "r4", 1, false, 64, false, Poison},
			{"mmio-load-lhz", "lhz %r4, 0(%r3)", "r4", 2, false, 64, false, Poison},
			{"mmio-load-lha", "lha %r4, 0(%r3)", "r4", 2, true, 64, false, Poison},
			{"mmio-load-lwz", "lwz %r4, 0(%r3)", "r4", 4, false, 64, false, Poison},
			{"mmio-load-lwa", "lwa %r4, 0(%r3)", "r4", 4, true, 64, false, Poison},
			{"mmio-load-ld", "ld %r4, 0(%r3)", "r4", 8, false, 64, false, Poison},
		}
	case RISCV64:
		return []MMIOLoad{
			{"mmio-load-lb", "lb a1, 0(a0)", "a1", 1, true, 64, false, Poison},
			{"mmio-load-lbu", "lbu a1, 0(a0)", "a1", 1, false, 64, false, Poison},
			{"mmio-load-lh", "lh a1, 0(a0)", "a1", 2, true, 64, false, Poison},
			{"mmio-load-lhu", "lhu a1, 0(a0)", "a1", 2, false, 64, false, Poison},
			{"mmio-load-lw", "lw a1, 0(a0)", "a1", 4, true, 64, false, Poison},
			{"mmio-load-lwu", "lwu a1, 0(a0)", "a1", 4, false, 64, false, Poison},
			{"mmio-load-ld", "ld a1, 0(a0)", "a1", 8, false, 64, false, Poison},
			{"mmio-load-c-lw", "c.lw a1, 0(a0)", "a1", 4, true, 64, false, Poison},  // 2-byte instruction
			{"mmio-load-c-ld", "c.ld a1, 0(a0)", "a1", 8, false, 64, false, Poison}, // 2-byte instruction
		}
	case MIPS:
		return []MMIOLoad{
			{"mmio-load-lb", "lb $a1, 0($a0)", "a1", 1, true, 64, false, Poison},
			{"mmio-load-lbu", "lbu $a1, 0($a0)", "a1", 1, false, 64, false, Poison},
			{"mmio-load-lh", "lh $a1, 0($a0)", "a1", 2, true, 64, false, Poison},
			{"mmio-load-lhu", "lhu $a1, 0($a0)", "a1", 2, false, 64, false, Poison},
			{"mmio-load-lw", "lw $a1, 0($a0)", "a1", 4, true, 64, false, Poison},
			{"mmio-load-lwu", "lwu $a1, 0($a0)", "a1", 4, false, 64, false, Poison},
			{"mmio-load-ld", "ld $a1, 0($a0)", "a1", 8, false, 64, false, Poison},
		}
	}
	return nil
}
