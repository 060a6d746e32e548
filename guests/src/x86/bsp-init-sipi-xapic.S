/*
 * bsp-init-sipi-xapic: the BSP switches to flat 32-bit protected mode,
 * software-enables its local APIC (SVR = 0x1FF), and sends INIT and then
 * SIPI (vector SIPI_VECTOR, the trampoline) to the APIC ID in `apic_dest`
 * (default 1) through the xAPIC ICR at 0xFEE00300/0xFEE00310. Then it
 * reports REPORT_SENT. Needs an in-kernel LAPIC (KVM_CREATE_IRQCHIP). The
 * AP runs the trampoline and reports its CS (0x0800).
 */
	.include "common.inc"
	.include "trampoline.inc"
	.equ	APIC_SVR,    0xFEE000F0
	.equ	APIC_ICR_LO, 0xFEE00300
	.equ	APIC_ICR_HI, 0xFEE00310
	.equ	ICR_INIT,    0x4500		/* INIT, level assert, physical */
	.equ	ICR_SIPI,    0x4600		/* STARTUP | vector */
	.globl	_start
_start:
	REAL_START
	ENTER_PM32 _start32
	movl	$0x1FF, APIC_SVR
	movl	apic_dest, %eax
	shll	$24, %eax
	movl	%eax, APIC_ICR_HI
send_init:
	movl	$ICR_INIT, APIC_ICR_LO
send_sipi:
	movl	$(ICR_SIPI | SIPI_VECTOR), APIC_ICR_LO
	MARK
	REPORT	REPORT_SENT
	HANG

	.data
	.p2align 2
apic_dest:
	.long	1
