/*
 * pio-in-w: EAX = POISON, then `inw	%dx, %ax` from PIO_PORT; KVM merges 2 bytes into AX.
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$PIO_PORT, %dx
	movl	$POISON, %eax
insn:	inw	%dx, %ax
after:	DONE
