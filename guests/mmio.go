package guests

// MMIOLoad describes an mmio-load-* scenario: the guest sets Reg to
// Poison, then its instruction at `insn` reads Width bytes at
// MemoryLayout.MMIOBase into Reg, exiting with KVM_EXIT_MMIO (len = Width,
// is_write = 0). Completing the exit writes Reg and moves the PC to `after`.
type MMIOLoad struct {
	Scenario string // the image name, mmio-load-<mnemonic>[-w|-x]
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
func MMIOLoads(arch string) []MMIOLoad {
	const x86Poison = Poison & 0xFFFFFFFF
	switch arch {
	case X86:
		return []MMIOLoad{
			{"mmio-load-movb", "rax", 1, false, 8, true, x86Poison},     // movb %es:0, %al
			{"mmio-load-movw", "rax", 2, false, 16, true, x86Poison},    // movw %es:0, %ax
			{"mmio-load-movl", "rax", 4, false, 32, false, x86Poison},   // movl %es:0, %eax
			{"mmio-load-movzbl", "rax", 1, false, 32, false, x86Poison}, // movzbl %es:0, %eax
			{"mmio-load-movsbl", "rax", 1, true, 32, false, x86Poison},  // movsbl %es:0, %eax
			{"mmio-load-movzwl", "rax", 2, false, 32, false, x86Poison}, // movzwl %es:0, %eax
			{"mmio-load-movswl", "rax", 2, true, 32, false, x86Poison},  // movswl %es:0, %eax
		}
	case ARM64:
		return []MMIOLoad{
			{"mmio-load-ldr-w", "x1", 4, false, 32, false, Poison},  // ldr w1, [x0]
			{"mmio-load-ldr-x", "x1", 8, false, 64, false, Poison},  // ldr x1, [x0]
			{"mmio-load-ldrb", "x1", 1, false, 32, false, Poison},   // ldrb w1, [x0]
			{"mmio-load-ldrh", "x1", 2, false, 32, false, Poison},   // ldrh w1, [x0]
			{"mmio-load-ldrsb-w", "x1", 1, true, 32, false, Poison}, // ldrsb w1, [x0]
			{"mmio-load-ldrsb-x", "x1", 1, true, 64, false, Poison}, // ldrsb x1, [x0]
			{"mmio-load-ldrsh-w", "x1", 2, true, 32, false, Poison}, // ldrsh w1, [x0]
			{"mmio-load-ldrsh-x", "x1", 2, true, 64, false, Poison}, // ldrsh x1, [x0]
			{"mmio-load-ldrsw", "x1", 4, true, 64, false, Poison},   // ldrsw x1, [x0]
		}
	case PPC64:
		return []MMIOLoad{
			{"mmio-load-lbz", "r4", 1, false, 64, false, Poison}, // lbz r4, 0(r3)
			{"mmio-load-lhz", "r4", 2, false, 64, false, Poison}, // lhz r4, 0(r3)
			{"mmio-load-lha", "r4", 2, true, 64, false, Poison},  // lha r4, 0(r3)
			{"mmio-load-lwz", "r4", 4, false, 64, false, Poison}, // lwz r4, 0(r3)
			{"mmio-load-lwa", "r4", 4, true, 64, false, Poison},  // lwa r4, 0(r3)
			{"mmio-load-ld", "r4", 8, false, 64, false, Poison},  // ld r4, 0(r3)
		}
	case RISCV64:
		return []MMIOLoad{
			{"mmio-load-lb", "a1", 1, true, 64, false, Poison},    // lb a1, 0(a0)
			{"mmio-load-lbu", "a1", 1, false, 64, false, Poison},  // lbu a1, 0(a0)
			{"mmio-load-lh", "a1", 2, true, 64, false, Poison},    // lh a1, 0(a0)
			{"mmio-load-lhu", "a1", 2, false, 64, false, Poison},  // lhu a1, 0(a0)
			{"mmio-load-lw", "a1", 4, true, 64, false, Poison},    // lw a1, 0(a0)
			{"mmio-load-lwu", "a1", 4, false, 64, false, Poison},  // lwu a1, 0(a0)
			{"mmio-load-ld", "a1", 8, false, 64, false, Poison},   // ld a1, 0(a0)
			{"mmio-load-c-lw", "a1", 4, true, 64, false, Poison},  // c.lw a1, 0(a0): 2-byte instruction
			{"mmio-load-c-ld", "a1", 8, false, 64, false, Poison}, // c.ld a1, 0(a0): 2-byte instruction
		}
	case MIPS:
		return []MMIOLoad{
			{"mmio-load-lb", "a1", 1, true, 64, false, Poison},   // lb $a1, 0($a0)
			{"mmio-load-lbu", "a1", 1, false, 64, false, Poison}, // lbu $a1, 0($a0)
			{"mmio-load-lh", "a1", 2, true, 64, false, Poison},   // lh $a1, 0($a0)
			{"mmio-load-lhu", "a1", 2, false, 64, false, Poison}, // lhu $a1, 0($a0)
			{"mmio-load-lw", "a1", 4, true, 64, false, Poison},   // lw $a1, 0($a0)
			{"mmio-load-lwu", "a1", 4, false, 64, false, Poison}, // lwu $a1, 0($a0)
			{"mmio-load-ld", "a1", 8, false, 64, false, Poison},  // ld $a1, 0($a0)
		}
	}
	return nil
}
