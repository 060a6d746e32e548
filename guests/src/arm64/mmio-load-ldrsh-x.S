/* mmio-load-ldrsh-x: x1 = POISON, then `ldrsh	x1, [x0]` from MMIO_BASE: 2 bytes, sign-extended to 64 bits. */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldrsh	x1, [x0]
after:	DONE
