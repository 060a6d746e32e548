/*
 * mmio-load-movzwl: 2 bytes zero-extended into EAX.
 * EAX = POISON, then `movzwl	%es:0, %eax` reads MMIO_BASE (ES = MMIO_SEG, offset 0).
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
	movl	$POISON, %eax
insn:	movzwl	%es:0, %eax
after:	DONE
