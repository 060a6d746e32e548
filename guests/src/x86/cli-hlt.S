/* cli-hlt: interrupts off, then HLT forever (SIG-7). */
	.include "common.inc"
	.globl	_start
_start:
	REAL_START
	cli
insn:
hlt_insn:
	hlt
after:	jmp	hlt_insn
