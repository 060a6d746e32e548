/*
 * bsp-init-sipi-x2apic: like bsp-init-sipi-xapic, through x2APIC MSRs. The
 * BSP sets IA32_APIC_BASE.EXTD (MSR 0x1B bit 10; the APIC is enabled after
 * reset), enables the APIC through the SVR MSR 0x80F, then writes the ICR MSR
 * 0x830 with EDX = `apic_dest` (default 1): EAX = 0x4500 (INIT), then
 * EAX = 0x4600 | SIPI_VECTOR (SIPI). Then it reports REPORT_SENT. Needs an
 * in-kernel LAPIC and CPUID.1:ECX.x2APIC (bit 21) set by KVM_SET_CPUID2,
 * else the WRMSR to 0x1B takes #GP (and the vCPU shuts down: no IDT).
 */
	.include "common.inc"
	.include "trampoline.inc"
	.equ	MSR_APIC_BASE,   0x1B
	.equ	APIC_BASE_EXTD,  1 << 10
	.equ	MSR_X2APIC_SVR,  0x80F
	.equ	MSR_X2APIC_ICR,  0x830
	.equ	ICR_INIT,        0x4500
	.equ	ICR_SIPI,        0x4600
	.globl	_start
_start:
	REAL_START
	ENTER_PM32 _start32
	movl	$MSR_APIC_BASE, %ecx
	rdmsr
	orl	$APIC_BASE_EXTD, %eax
enable_x2apic:
	wrmsr
	movl	$MSR_X2APIC_SVR, %ecx
	movl	$0x1FF, %eax
	xorl	%edx, %edx
	wrmsr
	movl	$MSR_X2APIC_ICR, %ecx
	movl	apic_dest, %edx
	movl	$ICR_INIT, %eax
send_init:
	wrmsr
	movl	$(ICR_SIPI | SIPI_VECTOR), %eax
send_sipi:
	wrmsr
	MARK
	REPORT	REPORT_SENT
	HANG

	.data
	.p2align 2
apic_dest:
	.long	1
