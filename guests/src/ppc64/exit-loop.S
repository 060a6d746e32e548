/*
 * exit-loop: `stw r4, 0(r3)` to MMIO_BASE in a loop. Every KVM_RUN ends with
 * one KVM_EXIT_MMIO write and the next one completes it and runs to the next
 * store: the benchmarks' KVM_RUN round trip (bench/).
 */
	.include "common.inc"
	.globl	_start
_start:
	lis	%r3, MMIO_BASE >> 16
	LI32	%r4, STORE_VALUE
loop:	stw	%r4, 0(%r3)
	b	loop
