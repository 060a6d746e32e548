/*
 * pio-in-l: EAX = POISON, then `inl	%dx, %eax` from PIO_PORT; KVM zero-extends 4 bytes into RAX.
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$PIO_PORT, %dx
	movl	$POISON, %eax
insn:	inl	%dx, %eax
after:	DONE
