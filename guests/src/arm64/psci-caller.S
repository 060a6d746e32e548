/*
 * psci-caller: PSCI 0.2+ calls through HVC (needs KVM_ARM_VCPU_PSCI_0_2 on
 * every vCPU). Each call is followed by a report of the low 32 bits of x0,
 * the PSCI return value (negative values read as int32), so the calling
 * vCPU exits to the host once per step, in this order:
 *
 *   cpu_on               CPU_ON(psci_target, secondary, psci_context)
 *                        x0 = 0xC4000003; expect 0 (SUCCESS)
 *   affinity_info        AFFINITY_INFO(psci_target, 0), x0 = 0xC4000004;
 *                        0 ON, 1 OFF, 2 ON_PENDING
 *   cpu_on_again         CPU_ON again; expect -4 (ALREADY_ON) unless the
 *                        target turned itself off in between
 *   affinity_info_again  AFFINITY_INFO again (1 OFF once `secondary` ran
 *                        CPU_OFF)
 *   system_off           SYSTEM_OFF, x0 = 0x84000008: KVM exits with
 *                        KVM_EXIT_SYSTEM_EVENT (SHUTDOWN) and stops every
 *                        vCPU; a report after it means the call returned
 *
 * The target vCPU starts at `secondary` with x0 = psci_context: it reports
 * x0 (REPORT_REG, so x0 is still the context at that exit), then calls
 * CPU_OFF (x0 = 0x84000002), which does not return on success; a report
 * after `cpu_off` is its error code.
 *
 * psci_target (default 1: the MPIDR affinity of vCPU 1) and psci_context
 * (default 0xC0FFEE) are RAM words the host may change before running.
 */
	.include "common.inc"
	.equ	PSCI_CPU_OFF,        0x84000002
	.equ	PSCI_CPU_ON,         0xC4000003
	.equ	PSCI_AFFINITY_INFO,  0xC4000004
	.equ	PSCI_SYSTEM_OFF,     0x84000008

	.macro CPU_ON
	MOV32	w0, PSCI_CPU_ON
	ldr	x1, psci_target
	adr	x2, secondary
	ldr	x3, psci_context
	.endm

	.macro AFFINITY_INFO
	MOV32	w0, PSCI_AFFINITY_INFO
	ldr	x1, psci_target
	mov	x2, #0
	.endm

	.globl	_start
_start:
	CPU_ON
cpu_on:	hvc	#0
	REPORT_REG w0
	AFFINITY_INFO
affinity_info:
	hvc	#0
	REPORT_REG w0
	CPU_ON
cpu_on_again:
	hvc	#0
	REPORT_REG w0
	AFFINITY_INFO
affinity_info_again:
	hvc	#0
	REPORT_REG w0
	MOV32	w0, PSCI_SYSTEM_OFF
system_off:
	hvc	#0
	REPORT_REG w0
	HANG

secondary:
	REPORT_REG w0
	MOV32	w0, PSCI_CPU_OFF
cpu_off:
	hvc	#0
	REPORT_REG w0
	HANG

	.data
	.p2align 3
psci_target:
	.quad	1
psci_context:
	.quad	0xC0FFEE
