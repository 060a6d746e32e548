/* halt: WAIT in a loop. KVM blocks the vCPU until an interrupt. */
	.include "common.inc"
	.globl	_start
_start:
insn:	wait
after:	b	insn
	nop
