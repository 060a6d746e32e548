/*
 * pio-out-w: `outw	%ax, %dx` to PIO_PORT with EAX = STORE_VALUE, so the exit's data
 * is the low 2 bytes of STORE_VALUE.
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$PIO_PORT, %dx
	movl	$STORE_VALUE, %eax
insn:	outw	%ax, %dx
after:	DONE
