/*
 * vmcall-map-gpa: KVM_HC_MAP_GPA_RANGE with `vmcall` (map-gpa.inc).
 * VMCALL is Intel's; on AMD use vmmcall-map-gpa (KVM would rewrite this
 * instruction into VMMCALL in guest memory, KVM_X86_QUIRK_FIX_HYPERCALL_INSN).
 */
	.include "common.inc"
	.include "map-gpa.inc"
	MAP_GPA_CALL vmcall
