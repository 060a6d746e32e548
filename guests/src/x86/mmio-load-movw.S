/*
 * mmio-load-movw: 2 bytes into AX; bits 16-63 of RAX keep their value.
 * EAX = POISON, then `movw	%es:0, %ax` reads MMIO_BASE (ES = MMIO_SEG, offset 0).
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
	movl	$POISON, %eax
insn:	movw	%es:0, %ax
after:	DONE
