/*
 * sigp-caller: SIGP orders to the CPU address in `sigp_target` (default 1),
 * each followed by a report of the condition code (r2 = 0..3):
 *
 *   sigp_start  SIGP START (order 4): KVM hands it to userspace as
 *               KVM_EXIT_S390_SIEIC, icptcode 4, ipa 0xAE13; the host starts
 *               the target (KVM_SET_MP_STATE OPERATING, PSW = `secondary`)
 *               and sets the condition code in this CPU's PSW mask
 *   sigp_sense  SIGP SENSE (order 1), handled by KVM: cc 1 with the status
 *               (0x40 STOPPED for a stopped target) in r1, which the host
 *               reads at the report exit; cc 0 for an operating target
 *
 * and then spins (MP-S4). r1 is the status register (SIGP's R1, odd, so
 * there is no parameter register), r3 holds the CPU address. `secondary`
 * reports REPORT_SECONDARY and spins.
 */
	.include "common.inc"
	.equ	SIGP_SENSE, 1
	.equ	SIGP_START, 4

	.macro CC_TO_R2
	lghi	%r2, 0
	ipm	%r2
	srl	%r2, 28
	.endm

	.globl	_start
_start:
	larl	%r4, sigp_target
	lg	%r3, 0(%r4)
	lghi	%r1, 0
insn:
sigp_start:
	sigp	%r1, %r3, SIGP_START
after:	MARK
	CC_TO_R2
	REPORT_R2
	lghi	%r1, 0
sigp_sense:
	sigp	%r1, %r3, SIGP_SENSE
	CC_TO_R2
	REPORT_R2
	HANG

secondary:
	REPORT	REPORT_SECONDARY
	HANG

	.data
	.p2align 3
sigp_target:
	.quad	1
