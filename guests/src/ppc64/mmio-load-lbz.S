/* mmio-load-lbz: r4 = POISON, then `lbz	%r4, 0(%r3)` from MMIO_BASE: 1 byte, zero-extended. */
	.include "common.inc"
	.globl	_start
_start:
	lis	%r3, MMIO_BASE >> 16
	POISON64 %r4
insn:	lbz	%r4, 0(%r3)
after:	DONE
