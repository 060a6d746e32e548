/*
 * sbi-ecall-exp: an SBI call in the experimental extension range
 * (0x08000000-0x08FFFFFF), which KVM forwards to userspace as
 * KVM_EXIT_RISCV_SBI: a7 = SBI_EID, a6 = SBI_FID, a0..a5 = 0xA0..0xA5.
 * Completion sets a0/a1 = riscv_sbi.ret[0]/ret[1] and sepc += 4 (CMP-10).
 */
	.include "common.inc"
	.equ	SBI_EID, 0x08000042
	.equ	SBI_FID, 7
	.globl	_start
_start:
	li	a7, SBI_EID
	li	a6, SBI_FID
	li	a0, 0xA0
	li	a1, 0xA1
	li	a2, 0xA2
	li	a3, 0xA3
	li	a4, 0xA4
	li	a5, 0xA5
insn:	ecall
after:	DONE
