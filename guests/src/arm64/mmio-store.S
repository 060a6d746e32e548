/*
 * mmio-store: `str w1, [x0]`, a 4-byte store of STORE_VALUE to MMIO_BASE.
 * KVM advances PC past a guest MMIO write only at completion (CMP-9).
 */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	MOV32	w1, STORE_VALUE
insn:	str	w1, [x0]
after:	DONE
