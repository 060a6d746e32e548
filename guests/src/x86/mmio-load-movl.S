/*
 * mmio-load-movl: 4 bytes into EAX (zero-extended into RAX by the emulator).
 * EAX = POISON, then `movl	%es:0, %eax` reads MMIO_BASE (ES = MMIO_SEG, offset 0).
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
	movl	$POISON, %eax
insn:	movl	%es:0, %eax
after:	DONE
