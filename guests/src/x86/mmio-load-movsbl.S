/*
 * mmio-load-movsbl: 1 byte sign-extended into EAX (RAX bits 32-63 cleared).
 * EAX = POISON, then `movsbl	%es:0, %eax` reads MMIO_BASE (ES = MMIO_SEG, offset 0).
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
	movl	$POISON, %eax
insn:	movsbl	%es:0, %eax
after:	DONE
