/* mmio-load-ldrsb-x: x1 = POISON, then `ldrsb	x1, [x0]` from MMIO_BASE: 1 byte, sign-extended to 64 bits. */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldrsb	x1, [x0]
after:	DONE
