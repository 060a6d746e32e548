/* mmio-load-lhu: a1 = POISON, then `lhu	a1, 0(a0)` from MMIO_BASE: 2 bytes, zero-extended. */
	.include "common.inc"
	.globl	_start
_start:
	li	a0, MMIO_BASE
	li	a1, POISON
insn:	lhu	a1, 0(a0)
after:	DONE
