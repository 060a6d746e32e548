/* mmio-store: `sw a1, 0(a0)`, a 4-byte store of STORE_VALUE to MMIO_BASE. */
	.include "common.inc"
	.globl	_start
_start:
	KSEG1_ADDR $a0, MMIO_BASE
	li	$a1, STORE_VALUE
insn:	sw	$a1, 0($a0)
after:	DONE
