/* mmio-load-ldr-x: x1 = POISON, then `ldr	x1, [x0]` from MMIO_BASE: 8 bytes. */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
insn:	ldr	x1, [x0]
after:	DONE
