/* mmio-store: `stw r4, 0(r3)`, a 4-byte store of STORE_VALUE to MMIO_BASE. */
	.include "common.inc"
	.globl	_start
_start:
	lis	%r3, MMIO_BASE >> 16
	LI32	%r4, STORE_VALUE
insn:	stw	%r4, 0(%r3)
after:	DONE
