/*
 * halt: HLT with RFLAGS.IF as the harness set it (0 after reset), then the
 * marker and REPORT_DONE.
 */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
insn:	hlt
after:	DONE
