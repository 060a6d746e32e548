/*
 * report: DIAG 0x501 with r2 = REPORT_HELLO, then the marker. The PSW
 * address at the exit is already `after` (s390 reports instruction
 * intercepts with the PSW past the instruction).
 */
	.include "common.inc"
	.globl	_start
_start:
	lgfi	%r2, REPORT_HELLO
insn:	diag	%r2, %r0, DOORBELL
after:	MARK
	HANG
