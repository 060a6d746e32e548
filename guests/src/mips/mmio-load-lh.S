/* mmio-load-lh: a1 = POISON, then `lh	$a1, 0($a0)` from MMIO_BASE: 2 bytes, sign-extended. */
	.include "common.inc"
	.globl	_start
_start:
	KSEG1_ADDR $a0, MMIO_BASE
	dli	$a1, POISON
insn:	lh	$a1, 0($a0)
after:	DONE
