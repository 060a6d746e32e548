/* mmio-load-ldr-w: x1 = POISON, then `ldr	w1, [x0]` from MMIO_BASE: 4 bytes, zero-extended (W register). */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldr	w1, [x0]
after:	DONE
