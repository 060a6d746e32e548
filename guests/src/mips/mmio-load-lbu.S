/* mmio-load-lbu: a1 = POISON, then `lbu	$a1, 0($a0)` from MMIO_BASE: 1 byte, zero-extended. */
	.include "common.inc"
	.globl	_start
_start:
	KSEG1_ADDR $a0, MMIO_BASE
	dli	$a1, POISON
insn:	lbu	$a1, 0($a0)
after:	DONE
