/*
 * pio-in-b: EAX = POISON, then `inb	%dx, %al` from PIO_PORT; KVM merges 1 byte into AL.
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$PIO_PORT, %dx
	movl	$POISON, %eax
insn:	inb	%dx, %al
after:	DONE
