/* report: OUT of REPORT_HELLO to the doorbell port, then the marker. */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	movl	$REPORT_HELLO, %eax
	movw	$DOORBELL, %dx
insn:	outl	%eax, %dx
after:	MARK
	HANG
