//go:build linux && amd64

package x86

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
)

// Completions implements arch.Arch: the exits arch/x86/kvm/x86.c completes
// through vcpu->arch.complete_userspace_io at the start of the next KVM_RUN,
// before the immediate_exit check (kernel-semantics.md §2.1). x86
// instructions vary in length, so PCAdvance is 0 here: the specs use the
// guest image's `after` symbol instead.
func (Arch) Completions() arch.CompletionFacts {
	const x86c = "arch/x86/kvm/x86.c"
	return arch.CompletionFacts{Exits: []arch.Completion{
		{
			ExitReason: uapi.KVM_EXIT_IO, Access: arch.AccessRead,
			Effect:   "AL/AX merged into RAX, EAX zero-extended; RIP past the IN (dropped if userspace moved RIP)",
			OnceOnly: true,
			Source: arch.Source{File: x86c, Function: "complete_fast_pio_in", Since: "4.11",
				Note: "RIP at the IN during the exit since 5.1 (45def77ebf79); string I/O goes through complete_emulated_pio"},
		},
		{
			ExitReason: uapi.KVM_EXIT_IO, Access: arch.AccessWrite,
			Effect:   "RIP past the OUT (dropped if userspace moved RIP)",
			OnceOnly: true,
			Source: arch.Source{File: x86c, Function: "complete_fast_pio_out", Since: "5.1",
				Note: "before 5.1 (45def77ebf79) the OUT was skipped before the exit"},
		},
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead,
			Effect:   "the emulator re-runs and writes the destination; RIP past the load",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_emulated_mmio", Since: "4.11"},
		},
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessWrite,
			Effect:       "none: the emulator wrote back and moved RIP before the exit",
			PCPastAtExit: true, OnceOnly: true,
			Source: arch.Source{File: x86c, Function: "x86_emulate_instruction", Since: "4.11",
				Note: "a write split across pages completes its fragments in complete_emulated_mmio"},
		},
		{
			ExitReason: uapi.KVM_EXIT_X86_RDMSR, Access: arch.AccessRead,
			Effect:   "EDX:EAX = msr.data unless msr.error (then #GP); RIP past the RDMSR",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_fast_rdmsr", Since: "5.10"},
		},
		{
			ExitReason: uapi.KVM_EXIT_X86_WRMSR, Access: arch.AccessWrite,
			Effect:   "RIP past the WRMSR unless msr.error (then #GP)",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_fast_msr_access", Since: "5.10"},
		},
		{
			ExitReason: uapi.KVM_EXIT_HYPERCALL, Access: arch.AccessNone,
			Effect:   "RAX = hypercall.ret; RIP past the VMCALL/VMMCALL",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_hypercall_exit", Since: "5.14"},
		},
	}}
}
