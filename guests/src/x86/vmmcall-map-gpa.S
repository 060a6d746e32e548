/*
 * vmmcall-map-gpa: KVM_HC_MAP_GPA_RANGE with `vmmcall` (map-gpa.inc).
 * VMMCALL is AMD's; on Intel use vmcall-map-gpa (KVM would rewrite this
 * instruction into VMCALL in guest memory, KVM_X86_QUIRK_FIX_HYPERCALL_INSN).
 */
	.include "common.inc"
	.include "map-gpa.inc"
	MAP_GPA_CALL vmmcall
