/* mmio-load-lb: a1 = POISON, then `lb	$a1, 0($a0)` from MMIO_BASE: 1 byte, sign-extended. */
	.include "common.inc"
	.globl	_start
_start:
	KSEG1_ADDR $a0, MMIO_BASE
	dli	$a1, POISON
insn:	lb	$a1, 0($a0)
after:	DONE
