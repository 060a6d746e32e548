/* vmmcall-kick-cpu: KVM_HC_KICK_CPU with `vmmcall` (AMD; kick-cpu.inc). */
	.include "common.inc"
	.include "kick-cpu.inc"
	KICK_CPU_CALL vmmcall
