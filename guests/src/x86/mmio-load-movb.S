/*
 * mmio-load-movb: 1 byte into AL; bits 8-63 of RAX keep their value.
 * EAX = POISON, then `movb	%es:0, %al` reads MMIO_BASE (ES = MMIO_SEG, offset 0).
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
	movl	$POISON, %eax
insn:	movb	%es:0, %al
after:	DONE
