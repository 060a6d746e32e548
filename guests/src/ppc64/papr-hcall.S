/*
 * papr-hcall: `sc 1` with r3 = H_GET_TERM_CHAR (0x54) and r4..r12 = 4..12.
 * kvm-hv handles in the kernel only the hcalls in kvm->arch.enabled_hcalls
 * (kvmppc_pseries_do_hcall); H_GET_TERM_CHAR is not one of them (QEMU's
 * spapr-vty implements it), so KVM exits with KVM_EXIT_PAPR_HCALL: nr = 0x54,
 * args[0..8] = r4..r12. Completion sets r3 = papr_hcall.ret and r4..r12 =
 * args[0..8] (CMP-12). PR KVM needs KVM_CAP_PPC_PAPR; HV needs it too
 * before the first KVM_RUN. The hcall interrupt leaves the PC at `after`.
 */
	.include "common.inc"
	.equ	H_GET_TERM_CHAR, 0x54
	.globl	_start
_start:
	li	%r3, H_GET_TERM_CHAR
	li	%r4, 4
	li	%r5, 5
	li	%r6, 6
	li	%r7, 7
	li	%r8, 8
	li	%r9, 9
	li	%r10, 10
	li	%r11, 11
	li	%r12, 12
insn:	sc	1
after:	DONE
