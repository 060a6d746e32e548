/*
 * mmio-load-movzbl: 1 byte zero-extended into EAX.
 * EAX = POISON, then `movzbl	%es:0, %eax` reads MMIO_BASE (ES = MMIO_SEG, offset 0).
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
	movl	$POISON, %eax
insn:	movzbl	%es:0, %eax
after:	DONE
