/* mmio-load-ldrh: x1 = POISON, then `ldrh	w1, [x0]` from MMIO_BASE: 2 bytes, zero-extended. */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldrh	w1, [x0]
after:	DONE
