/*
 * exit-loop: `sw a1, 0(a0)` to MMIO_BASE in a loop. Every KVM_RUN ends with
 * one KVM_EXIT_MMIO write and the next one completes it and runs to the next
 * store: the benchmarks' KVM_RUN round trip (bench/).
 */
	.include "common.inc"
	.globl	_start
_start:
	li	a0, MMIO_BASE
	li	a1, STORE_VALUE
loop:	sw	a1, 0(a0)
	j	loop
