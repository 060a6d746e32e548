/* report: a 4-byte store of REPORT_HELLO to the doorbell, then the marker. */
	.include "common.inc"
	.globl	_start
_start:
	LI32	%r3, REPORT_HELLO
	lis	%r30, DOORBELL >> 16
insn:	stw	%r3, 0(%r30)
after:	MARK
	HANG
