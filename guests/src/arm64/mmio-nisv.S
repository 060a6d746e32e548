/*
 * mmio-nisv: x1 = x2 = POISON, then `ldp w1, w2, [x0]` from MMIO_BASE. A
 * load pair has no instruction syndrome (ESR_EL2.ISV = 0), so KVM cannot
 * emulate it: KVM_EXIT_ARM_NISV with KVM_CAP_ARM_NISV_TO_USER, else ENOSYS.
 */
	.include "common.inc"
	.globl	_start
_start:
	mov	x0, #MMIO_BASE
	mov	x1, #POISON
	mov	x2, #POISON
insn:	ldp	w1, w2, [x0]
after:	DONE
