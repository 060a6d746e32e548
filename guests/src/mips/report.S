/* report: a 4-byte store of REPORT_HELLO to the doorbell, then the marker. */
	.include "common.inc"
	.globl	_start
_start:
	li	$a0, REPORT_HELLO
	KSEG1_ADDR $k1, DOORBELL
insn:	sw	$a0, 0($k1)
after:	MARK
	HANG
