/* mmio-load-ldrb: x1 = POISON, then `ldrb	w1, [x0]` from MMIO_BASE: 1 byte, zero-extended. */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldrb	w1, [x0]
after:	DONE
