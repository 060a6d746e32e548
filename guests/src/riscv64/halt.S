/* halt: WFI in a loop. KVM blocks the vCPU until an interrupt. */
	.include "common.inc"
	.globl	_start
_start:
insn:	wfi
after:	j	insn
