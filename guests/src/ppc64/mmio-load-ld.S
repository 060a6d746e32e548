/* mmio-load-ld: r4 = POISON, then `ld	%r4, 0(%r3)` from MMIO_BASE: 8 bytes. */
	.include "common.inc"
	.globl	_start
_start:
	lis	%r3, MMIO_BASE >> 16
	POISON64 %r4
insn:	ld	%r4, 0(%r3)
after:	DONE
