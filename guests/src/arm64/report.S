/* report: a 4-byte store of REPORT_HELLO to the doorbell, then the marker. */
	.include "common.inc"
	.globl	_start
_start:
	MOV32	w0, REPORT_HELLO
	mov	x29, #DOORBELL
insn:	str	w0, [x29]
after:	MARK
	HANG
