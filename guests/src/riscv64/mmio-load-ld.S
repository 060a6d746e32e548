/* mmio-load-ld: a1 = POISON, then `ld	a1, 0(a0)` from MMIO_BASE: 8 bytes. */
	.include "common.inc"
	.globl	_start
_start:
	li	a0, MMIO_BASE
	li	a1, POISON
insn:	ld	a1, 0(a0)
after:	DONE
