/*
 * nested-svm: an AMD SVM hypervisor (L1) running the L2 loop of nested.inc
 * (layout, L2, reports: see there).
 *
 * L1 enables SVM (EFER.SVME, `enable_svm`), gives KVM its host save area
 * (MSR VM_HSAVE_PA = HSAVE) and builds L2's VMCB at VMCB: intercepts from
 * `cfg_intercept_misc1` (INTR and SHUTDOWN) plus VMRUN and VMMCALL, ASID 1,
 * int_ctl from `cfg_int_ctl` (V_INTR_MASKING), EVENTINJ from `cfg_event_inj`
 * (an external interrupt, vector L2_VECTOR), and L2 in L1's mode (flat
 * 32-bit segments, L1's GDT, CR0, CR3 and CR4, EFER.SVME) at `l2_start`
 * with L2_IDT and L2_STACK. Then it clears GIF, sets IF and reports
 * REPORT_L1_READY: an interrupt sent now stays pending until VMRUN sets
 * GIF (and, with V_INTR_MASKING, L1's IF = 1 lets it exit L2).
 *
 * `l1_loop` runs L2 (VMRUN at `vmrun_insn`, L1 resumes at `after_vmrun`)
 * and reports every #VMEXIT as REPORT_L1_VMEXIT. After #VMEXIT(INTR) it
 * sets GIF to take its interrupt (l1_irq: EOI), clears GIF, moves
 * EXITINTINFO to EVENTINJ (an event whose delivery the exit interrupted is
 * re-injected, as an SVM hypervisor must; otherwise EVENTINJ is now
 * empty) and runs L2 again. After any other exit it stops (`l1_stopped`).
 *
 * `cfg_event_inj` = 0 makes an L1 that injects nothing. Under QEMU's TCG
 * SVM (the QEMU rows) an EVENTINJ of type INTR is delivered twice when a
 * TCG exit request comes before L2's next #VMEXIT: helper_vmrun
 * (target/i386/tcg/sysemu/svm_helper.c) delivers it at once but leaves
 * cs->exception_index set to the vector, and cpu_handle_interrupt /
 * cpu_handle_exception (accel/tcg/cpu-exec.c) deliver that vector again,
 * before L2's first instruction. A pending physical interrupt at VMRUN
 * wins over the exit request (its INTR intercept's #VMEXIT overwrites
 * exception_index), which is why the immediate-exit case is immune.
 */
	.include "common.inc"
	.include "nested.inc"

	.equ	VMCB,			CTRL_PAGE
	.equ	HSAVE,			HOST_PAGE

	.equ	MSR_EFER,		0xC0000080
	.equ	EFER_SVME,		1 << 12
	.equ	MSR_VM_HSAVE_PA,	0xC0010117

	/* VMCB control area (AMD APM vol. 2, appendix B) */
	.equ	VMCB_INTERCEPT_MISC1,	0x00C
	.equ	VMCB_INTERCEPT_MISC2,	0x010
	.equ	VMCB_ASID,		0x058
	.equ	VMCB_INT_CTL,		0x060
	.equ	VMCB_EXITCODE,		0x070
	.equ	VMCB_EXITINFO1,		0x078
	.equ	VMCB_EXITINFO2,		0x080
	.equ	VMCB_EXITINTINFO,	0x088
	.equ	VMCB_EVENTINJ,		0x0A8
	/* VMCB state save area */
	.equ	VMCB_ES,		0x400
	.equ	VMCB_CS,		0x410
	.equ	VMCB_SS,		0x420
	.equ	VMCB_DS,		0x430
	.equ	VMCB_GDTR,		0x460
	.equ	VMCB_IDTR,		0x480
	.equ	VMCB_EFER,		0x4D0
	.equ	VMCB_CR4,		0x548
	.equ	VMCB_CR3,		0x550
	.equ	VMCB_CR0,		0x558
	.equ	VMCB_DR7,		0x560
	.equ	VMCB_DR6,		0x568
	.equ	VMCB_RFLAGS,		0x570
	.equ	VMCB_RIP,		0x578
	.equ	VMCB_RSP,		0x5D8
	.equ	VMCB_RAX,		0x5F8
	.equ	VMCB_GPAT,		0x668

	.equ	INTERCEPT_INTR,		1 << 0		/* misc1 */
	.equ	INTERCEPT_SHUTDOWN,	1 << 31		/* misc1 */
	.equ	INTERCEPT_VMRUN,	1 << 0		/* misc2 */
	.equ	INTERCEPT_VMMCALL,	1 << 1		/* misc2 */
	.equ	V_INTR_MASKING,		1 << 24		/* int_ctl */
	.equ	EVENTINJ_VALID,		1 << 31		/* type 0: external interrupt */

	.equ	SVM_EXIT_INTR,		0x060
	.equ	SVM_EXIT_VMMCALL,	0x081
	.equ	SVM_EXIT_SHUTDOWN,	0x07F

	.equ	ATTR_CODE32,		0xC9B		/* G, D, P, S, code exec/read, accessed */
	.equ	ATTR_DATA32,		0xC93		/* G, B, P, S, data read/write, accessed */

/* A flat 4 GiB segment \sel with attributes \attr at VMCB offset \off. */
	.macro	VMCB_SEG off, sel, attr
	movw	$\sel, VMCB + \off
	movw	$\attr, VMCB + \off + 2
	movl	$0xFFFFFFFF, VMCB + \off + 4
	.endm

	.globl	_start
_start:
	REAL_START
	ENTER_PM32 _start32
	L1_SETUP

	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_SVME, %eax
enable_svm:
	wrmsr
	movl	$MSR_VM_HSAVE_PA, %ecx
	movl	$HSAVE, %eax
	xorl	%edx, %edx
	wrmsr

	ZERO_PAGE VMCB
	movl	cfg_intercept_misc1, %eax
	movl	%eax, VMCB + VMCB_INTERCEPT_MISC1
	movl	$(INTERCEPT_VMRUN | INTERCEPT_VMMCALL), VMCB + VMCB_INTERCEPT_MISC2
	movl	$1, VMCB + VMCB_ASID
	movl	cfg_int_ctl, %eax
	movl	%eax, VMCB + VMCB_INT_CTL
	movl	cfg_event_inj, %eax
	movl	%eax, VMCB + VMCB_EVENTINJ

	VMCB_SEG VMCB_ES, DATA32_SEL, ATTR_DATA32
	VMCB_SEG VMCB_CS, CODE32_SEL, ATTR_CODE32
	VMCB_SEG VMCB_SS, DATA32_SEL, ATTR_DATA32
	VMCB_SEG VMCB_DS, DATA32_SEL, ATTR_DATA32
	movzwl	gdt_desc, %eax
	movl	%eax, VMCB + VMCB_GDTR + 4
	movl	gdt_desc + 2, %eax
	movl	%eax, VMCB + VMCB_GDTR + 8
	movl	$(8 * IDT_VECTORS - 1), VMCB + VMCB_IDTR + 4
	movl	$L2_IDT, VMCB + VMCB_IDTR + 8
	movl	$EFER_SVME, VMCB + VMCB_EFER
	movl	%cr4, %eax
	movl	%eax, VMCB + VMCB_CR4
	movl	%cr3, %eax
	movl	%eax, VMCB + VMCB_CR3
	movl	%cr0, %eax
	movl	%eax, VMCB + VMCB_CR0
	movl	$0x400, VMCB + VMCB_DR7
	movl	$0xFFFF0FF0, VMCB + VMCB_DR6
	movl	$0x2, VMCB + VMCB_RFLAGS
	movl	$l2_start, VMCB + VMCB_RIP
	movl	$L2_STACK, VMCB + VMCB_RSP
	movl	$0x00070406, VMCB + VMCB_GPAT
	movl	$0x00070406, VMCB + VMCB_GPAT + 4

	clgi
	sti
	REPORT	REPORT_L1_READY

l1_loop:
	movl	$VMCB, %eax
vmrun_insn:
	vmrun	%eax
after_vmrun:
	incl	l1_vmexits
	movl	VMCB + VMCB_EXITCODE, %ebx
	movl	l2_count, %ecx
	movl	l2_handled, %esi
	movl	VMCB + VMCB_EXITINTINFO, %edi
	movl	VMCB + VMCB_RIP, %ebp
	REPORT	REPORT_L1_VMEXIT
	cmpl	$SVM_EXIT_INTR, %ebx
	jne	l1_stopped

	/* #VMEXIT(INTR): let L1's interrupt in and wait until l1_irq ran. */
	movl	l1_irqs, %ebx
	movl	$IRQ_WAIT_LOOPS, %ecx
	stgi
1:	cmpl	l1_irqs, %ebx
	jne	2f
	loop	1b
	clgi
	movl	l1_irqs, %ebx
	REPORT	REPORT_L1_NOIRQ
	HANG
2:	clgi
	movl	VMCB + VMCB_EXITINTINFO, %eax
	movl	%eax, VMCB + VMCB_EVENTINJ
	movl	VMCB + VMCB_EXITINTINFO + 4, %eax
	movl	%eax, VMCB + VMCB_EVENTINJ + 4
	jmp	l1_loop

l1_stopped:
	HANG

	NESTED_COMMON vmmcall

	.data
	.p2align 2
cfg_intercept_misc1:
	.long	INTERCEPT_INTR | INTERCEPT_SHUTDOWN
cfg_int_ctl:
	.long	V_INTR_MASKING
cfg_event_inj:
	.long	EVENTINJ_VALID | L2_VECTOR
