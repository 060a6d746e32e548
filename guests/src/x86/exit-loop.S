/*
 * exit-loop: `outb %al, %dx` to PIO_PORT in a loop. Every KVM_RUN ends with
 * one KVM_EXIT_IO and the next one completes it and runs to the next OUT:
 * the benchmarks' KVM_RUN round trip (bench/).
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$PIO_PORT, %dx
	movl	$STORE_VALUE, %eax
loop:	outb	%al, %dx
	jmp	loop
