/*
 * exit-loop: `str w1, [x0]` to MMIO_BASE in a loop. Every KVM_RUN ends with
 * one KVM_EXIT_MMIO write and the next one completes it and runs to the next
 * store: the benchmarks' KVM_RUN round trip (bench/).
 */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	MOV32	w1, STORE_VALUE
loop:	str	w1, [x0]
	b	loop
