/*
 * ap-trampoline: only the AP trampoline (trampoline.inc) at TRAMPOLINE.
 * _start is the trampoline itself: entered with CS = 0 it reports 0, entered
 * by SIPI vector SIPI_VECTOR it reports 0x0800 (MP-X7, MP-X10).
 */
	.include "common.inc"
	.include "trampoline.inc"
	.globl	_start
	.set	_start, trampoline
