/*
 * pio-out-b: `outb	%al, %dx` to PIO_PORT with EAX = STORE_VALUE, so the exit's data
 * is the low byte of STORE_VALUE.
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$PIO_PORT, %dx
	movl	$STORE_VALUE, %eax
insn:	outb	%al, %dx
after:	DONE
