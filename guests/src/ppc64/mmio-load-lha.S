/* mmio-load-lha: r4 = POISON, then `lha	%r4, 0(%r3)` from MMIO_BASE: 2 bytes, sign-extended. */
	.include "common.inc"
	.globl	_start
_start:
	lis	%r3, MMIO_BASE >> 16
	POISON64 %r4
insn:	lha	%r4, 0(%r3)
after:	DONE
