/* halt: WFI in a loop (SIG-9). KVM blocks the vCPU until an interrupt. */
	.include "common.inc"
	.globl	_start
_start:
insn:	wfi
after:	b	insn
