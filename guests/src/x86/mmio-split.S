/*
 * mmio-split: a 4-byte load from MMIO_SPLIT = MMIO_BASE + 0xFFE, which
 * crosses into the next (also unbacked) page: KVM exits twice, 2 bytes at
 * MMIO_SPLIT, then 2 bytes at MMIO_BASE + 0x1000 (CMP-5).
 */
	.include "common.inc"
	.equ	MMIO_SPLIT, MMIO_BASE + 0xFFE
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
	movl	$POISON, %eax
insn:	movl	%es:(MMIO_SPLIT - MMIO_BASE), %eax
after:	DONE
