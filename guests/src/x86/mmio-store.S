/*
 * mmio-store: a 4-byte store of STORE_VALUE to MMIO_BASE (ES = MMIO_SEG).
 * KVM completes an x86 MMIO write before the exit: RIP is already `after`.
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movw	$MMIO_SEG, %ax
	movw	%ax, %es
insn:	movl	$STORE_VALUE, %es:0
after:	DONE
