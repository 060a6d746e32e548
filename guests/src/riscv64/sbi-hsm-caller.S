/*
 * sbi-hsm-caller: SBI HSM calls (EID 0x48534D). Each call is followed by a
 * report of the low 32 bits of a0, the SBI error (negative values read as
 * int32); a1 still holds the SBI value at that exit. The calling hart exits
 * to the host once per step, in this order:
 *
 *   hart_start         HART_START(hsm_target, secondary, hsm_opaque), fid 0;
 *                      expect 0
 *   hart_status        HART_GET_STATUS(hsm_target), fid 2; a1 = 0 STARTED,
 *                      1 STOPPED, 2 START_PENDING
 *   hart_start_again   HART_START again; expect -6 (ALREADY_AVAILABLE)
 *                      unless the target stopped in between
 *   hart_status_again  HART_GET_STATUS again (a1 = 1 STOPPED once
 *                      `secondary` ran HART_STOP)
 *
 * and then spins. The target hart starts at `secondary` with a0 = its
 * hartid and a1 = hsm_opaque: it reports a1 (so a0 is still the hartid at
 * that exit), then calls HART_STOP (fid 1), which does not return on
 * success; a report after `hart_stop` is its error code.
 *
 * hsm_target (default 1: vCPU 1) and hsm_opaque (default 0xC0FFEE) are RAM
 * words the host may change before running.
 */
	.include "common.inc"
	.equ	SBI_EXT_HSM, 0x48534D
	.equ	HSM_HART_START, 0
	.equ	HSM_HART_STOP, 1
	.equ	HSM_HART_GET_STATUS, 2

	.macro HART_START
	li	a7, SBI_EXT_HSM
	li	a6, HSM_HART_START
	ld	a0, hsm_target
	la	a1, secondary
	ld	a2, hsm_opaque
	.endm

	.macro HART_GET_STATUS
	li	a7, SBI_EXT_HSM
	li	a6, HSM_HART_GET_STATUS
	ld	a0, hsm_target
	.endm

	.globl	_start
_start:
	HART_START
hart_start:
	ecall
	REPORT_REG a0
	HART_GET_STATUS
hart_status:
	ecall
	REPORT_REG a0
	HART_START
hart_start_again:
	ecall
	REPORT_REG a0
	HART_GET_STATUS
hart_status_again:
	ecall
	REPORT_REG a0
	HANG

secondary:
	REPORT_REG a1
	li	a7, SBI_EXT_HSM
	li	a6, HSM_HART_STOP
hart_stop:
	ecall
	REPORT_REG a0
	HANG

	.data
	.p2align 3
hsm_target:
	.dword	1
hsm_opaque:
	.dword	0xC0FFEE
