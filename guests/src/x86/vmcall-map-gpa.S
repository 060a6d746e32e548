/*
 * vmcall-map-gpa: KVM_HC_MAP_GPA_RANGE from flat 32-bit protected mode at
 * CPL 0: EAX = 12, EBX = MAP_GPA (page-aligned), ECX = MAP_NPAGES,
 * EDX = MAP_ATTRS, then `vmcall`. With KVM_CAP_EXIT_HYPERCALL bit 12 the exit
 * is KVM_EXIT_HYPERCALL; completion sets EAX = hypercall.ret (32 bits
 * outside long mode) and skips the 3-byte instruction (CMP-7).
 * VMCALL is Intel's; on AMD use vmmcall-map-gpa (KVM would rewrite this
 * instruction into VMMCALL in guest memory, KVM_X86_QUIRK_FIX_HYPERCALL_INSN).
 */
	.include "common.inc"
	.equ	KVM_HC_MAP_GPA_RANGE, 12
	.equ	MAP_GPA, 0x10000
	.equ	MAP_NPAGES, 1
	.equ	MAP_ATTRS, 0
	.globl	_start
_start:
	REAL_START
	ENTER_PM32 _start32
	movl	$KVM_HC_MAP_GPA_RANGE, %eax
	movl	$MAP_GPA, %ebx
	movl	$MAP_NPAGES, %ecx
	movl	$MAP_ATTRS, %edx
insn:	vmcall
after:	DONE
