/*
 * mmio-load-c-lw: a1 = POISON, then `c.lw a1, 0(a0)` from MMIO_BASE:
 * 4 bytes, sign-extended. A 2-byte compressed instruction (the guest needs the C
 * extension), so KVM advances sepc by 2.
 */
	.include "common.inc"
	.globl	_start
_start:
	li	a0, MMIO_BASE
	li	a1, POISON
	.option	rvc
insn:	c.lw	a1, 0(a0)
	.option	norvc
after:	DONE
