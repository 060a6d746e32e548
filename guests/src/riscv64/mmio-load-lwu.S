/* mmio-load-lwu: a1 = POISON, then `lwu	a1, 0(a0)` from MMIO_BASE: 4 bytes, zero-extended. */
	.include "common.inc"
	.globl	_start
_start:
	li	a0, MMIO_BASE
	li	a1, POISON
insn:	lwu	a1, 0(a0)
after:	DONE
