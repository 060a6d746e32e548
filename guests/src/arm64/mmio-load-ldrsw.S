/* mmio-load-ldrsw: x1 = POISON, then `ldrsw	x1, [x0]` from MMIO_BASE: 4 bytes, sign-extended to 64 bits. */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldrsw	x1, [x0]
after:	DONE
