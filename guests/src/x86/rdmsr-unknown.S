/*
 * rdmsr-unknown: RDMSR of UNKNOWN_MSR with EAX = EDX = POISON. The index
 * lies outside every architectural MSR range (Intel 0-0x1FFF,
 * 0x40000000-0x400000FF for hypervisors, 0xC0000000-0xC0001FFF; AMD
 * 0xC0010000-0xC001FFFF), so KVM does not implement it: with
 * KVM_CAP_X86_USER_SPACE_MSR (KVM_MSR_EXIT_REASON_UNKNOWN) it exits with
 * KVM_EXIT_X86_RDMSR (CMP-6). Needs kvm.ignore_msrs=0 (the default).
 */
	.include "common.inc"
	.equ	UNKNOWN_MSR, 0x0BADC0DE
	.globl	_start
_start:
	REAL_START
	movl	$UNKNOWN_MSR, %ecx
	movl	$POISON, %eax
	movl	$POISON, %edx
insn:	rdmsr
after:	DONE
