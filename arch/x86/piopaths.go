//go:build linux && amd64

package x86

import "github.com/kvmconform/kvmconform/arch"

// PIOPath is one of the two ways KVM handles a guest's IN or OUT that
// userspace completes (kernel-semantics.md §2.1). Which one runs depends on
// the KVM implementation, not on the guest: VMX and SVM take the fast path
// for a non-string IN/OUT (their IOIO exit handlers call kvm_fast_pio);
// string I/O everywhere, and every port access on kvm_pvm (where port I/O
// traps as #GP into the instruction emulator), take the emulator path.
type PIOPath struct {
	// Name says which path it is ("fast", "emulator").
	Name string
	// OutRIPPast is true when, during a KVM_EXIT_IO for an OUT, RIP is
	// already past the OUT.
	OutRIPPast bool
	// InOnRIPMoved is what completing an IN does when userspace moved RIP
	// during the exit.
	InOnRIPMoved string
	// Source is where the path is implemented.
	Source arch.Source
}

// PIOPaths are the two port I/O paths of arch/x86/kvm/x86.c.
func PIOPaths() []PIOPath {
	const x86c = "arch/x86/kvm/x86.c"
	return []PIOPath{
		{
			Name:         "fast",
			OutRIPPast:   false,
			InOnRIPMoved: "dropped: RAX and the new RIP are kept (kvm_is_linear_rip against pio.linear_rip)",
			Source: arch.Source{File: x86c, Function: "kvm_fast_pio / complete_fast_pio_in, complete_fast_pio_out", Since: "5.1",
				Note: "45def77ebf79 deferred the RIP update to the completion; before 5.1 an OUT was skipped before the exit"},
		},
		{
			Name:         "emulator",
			OutRIPPast:   true,
			InOnRIPMoved: "not dropped: the emulator finishes the IN and writes its decode-time next RIP over the new RIP (no RIP check); the data does not reach RAX, because KVM_SET_REGS set emulate_regs_need_sync_from_vcpu and emulator_invalidate_register_cache cleared the dirty destination register before writeback",
			Source: arch.Source{File: x86c, Function: "x86_emulate_instruction / complete_emulated_pio, complete_emulated_io (EMULTYPE_NO_DECODE)", Since: "3.7",
				Note: "an OUT is written back (RIP advanced) before the exit; an IN waits for the data with RIP at the IN"},
		},
	}
}
