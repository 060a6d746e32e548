/* mmio-load-lhz: r4 = POISON, then `lhz	%r4, 0(%r3)` from MMIO_BASE: 2 bytes, zero-extended. */
	.include "common.inc"
	.globl	_start
_start:
	lis	%r3, MMIO_BASE >> 16
	POISON64 %r4
insn:	lhz	%r4, 0(%r3)
after:	DONE
