/* mmio-load-ldrsh-w: x1 = POISON, then `ldrsh	w1, [x0]` from MMIO_BASE: 2 bytes, sign-extended to 32 bits, bits 32-63 cleared. */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldrsh	w1, [x0]
after:	DONE
