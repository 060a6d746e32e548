/* mmio-load-lw: a1 = POISON, then `lw	a1, 0(a0)` from MMIO_BASE: 4 bytes, sign-extended. */
	.include "common.inc"
	.globl	_start
_start:
	li	a0, MMIO_BASE
	li	a1, POISON
insn:	lw	a1, 0(a0)
after:	DONE
