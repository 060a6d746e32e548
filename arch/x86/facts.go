package x86

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

// Arch is the x86_64 architecture. Its facts methods (this file) are pure
// and exist on every GOARCH, so tools on any host can render them; it
// implements arch.Arch in amd64 builds (x86.go).
type Arch struct{}

var _ arch.Facts = Arch{}

// Completions implements arch.Facts: the exits arch/x86/kvm/x86.c completes
// through vcpu->arch.complete_userspace_io at the start of the next KVM_RUN,
// before the immediate_exit check (kernel-semantics.md §2.1). x86
// instructions vary in length, so PCAdvance is 0 here: the specs use the
// guest image's `after` symbol instead.
func (Arch) Completions() arch.CompletionFacts {
	const x86c = "arch/x86/kvm/x86.c"
	const checked = "verified in the 5.4, 6.1, 6.12 and 6.19 sources, the oldest checked"
	// The instruction emulator (x86_emulate_instruction) completes what it
	// started: string I/O always, and every exit on hosts whose vendor
	// module runs the instruction through it (kvm_pvm, out of tree: guest
	// I/O and MSR accesses trap as #GP into kvm_emulate_instruction,
	// virt-pvm arch/x86/kvm/pvm/pvm.c handle_exit_exception; VMX emulating
	// invalid guest state). EMULTYPE_NO_DECODE re-runs the decoded
	// instruction and writes back ctxt->eip, the next PC it decoded.
	// KVM_SET_REGS sets emulate_regs_need_sync_from_vcpu, so the re-run
	// starts with emulator_invalidate_register_cache (regs_dirty = 0); the
	// destination operand still points into the cache (decode_register,
	// reg_rmw at decode) and writeback_registers (emulate.c) only writes
	// dirty registers back, so the loaded value never reaches the vCPU.
	emulatorRead := arch.CompletionPath{Name: "emulator",
		OnPCChange: arch.PCOverwritten, OnRegChange: arch.RegKept,
		Source: arch.Source{File: x86c, Function: "x86_emulate_instruction (EMULTYPE_NO_DECODE), emulate.c writeback_registers", Since: "5.4",
			Note: "RIP = ctxt->eip decoded at the exit (an unfinished REP INS stays at the instruction); after KVM_SET_REGS emulator_invalidate_register_cache drops the dirty destination register, so the data is lost; " + checked}}
	// Fast MSR and hypercall completions skip the instruction through the
	// vendor module's skip_emulated_instruction.
	vmxSkip := func(since string) arch.CompletionPath {
		return arch.CompletionPath{Name: "VMX", Vendor: "kvm_intel",
			OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			Source: arch.Source{File: "arch/x86/kvm/vmx/vmx.c", Function: "skip_emulated_instruction", Since: since,
				Note: "RIP += VMCS VM_EXIT_INSTRUCTION_LEN from the RIP userspace set; verified in 5.4, 6.1, 6.12 and 6.19"}}
	}
	svmSkip := func(since string) arch.CompletionPath {
		return arch.CompletionPath{Name: "SVM", Vendor: "kvm_amd", VendorParam: "nrips=Y",
			OnPCChange: arch.PCOverwritten, OnRegChange: arch.RegWritten,
			Source: arch.Source{File: "arch/x86/kvm/svm/svm.c", Function: "__svm_skip_emulated_instruction", Since: since,
				Note: "with NRIPS, RIP = vmcb->control.next_rip of the exit; verified in 6.1, 6.12 and 6.19"}}
	}
	// Without NRIPS (kvm_amd nrips=0, e.g. under QEMU TCG's SVM)
	// svm->next_rip is 0 and the skip decodes the instruction at the RIP
	// it finds: the one userspace set.
	svmNoNRIPS := func(since string) arch.CompletionPath {
		return arch.CompletionPath{Name: "SVM without NRIPS", Vendor: "kvm_amd", VendorParam: "nrips=N",
			OnPCChange: arch.SkipsAtNewPC, OnRegChange: arch.RegWritten,
			Source: arch.Source{File: "arch/x86/kvm/svm/svm.c", Function: "__svm_skip_emulated_instruction", Since: since,
				Note: "next_rip 0: kvm_emulate_instruction(EMULTYPE_SKIP) decodes at the new RIP and writes RIP past that instruction; verified in 6.1, 6.12 and 6.19"}}
	}
	emulatorMSR := arch.CompletionPath{Name: "emulator",
		OnPCChange: arch.PCOverwritten, OnRegChange: arch.RegWritten,
		Source: arch.Source{File: x86c, Function: "complete_emulated_rdmsr, complete_emulated_insn_gp", Since: "6.1",
			Note: "EDX:EAX written straight to the vCPU; RIP = ctxt->_eip (EMULTYPE_NO_DECODE | EMULTYPE_SKIP | EMULTYPE_COMPLETE_USER_EXIT); verified in 6.1, 6.12 and 6.19"}}
	emulatorWRMSR := emulatorMSR
	emulatorWRMSR.OnRegChange = arch.RegNone
	emulatorWRMSR.Source.Function = "complete_emulated_msr_access, complete_emulated_insn_gp"
	emulatorWRMSR.Source.Note = "RIP = ctxt->_eip (EMULTYPE_NO_DECODE | EMULTYPE_SKIP | EMULTYPE_COMPLETE_USER_EXIT); verified in 6.1, 6.12 and 6.19"
	wrmsrVMX, wrmsrSVM, wrmsrSVMNoNRIPS := vmxSkip("5.10"), svmSkip("5.10"), svmNoNRIPS("5.10")
	wrmsrVMX.OnRegChange, wrmsrSVM.OnRegChange, wrmsrSVMNoNRIPS.OnRegChange = arch.RegNone, arch.RegNone, arch.RegNone
	return arch.CompletionFacts{Exits: []arch.Completion{
		{
			ExitReason: uapi.KVM_EXIT_IO, Access: arch.AccessRead,
			Spec:     "CMP-1",
			Effect:   "AL/AX merged into RAX, EAX zero-extended; RIP past the IN (dropped if userspace moved RIP)",
			OnceOnly: true,
			Source: arch.Source{File: x86c, Function: "complete_fast_pio_in", Since: "4.11",
				Note: "RIP at the IN during the exit since 5.1 (45def77ebf79); string I/O goes through complete_emulated_pio"},
			Path:       "fast PIO",
			OnPCChange: arch.Dropped, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: x86c, Function: "complete_fast_pio_in", Since: "5.1",
				Note: "45def77ebf79: dropped when kvm_is_linear_rip fails against the linear RIP of the exit (vcpu->arch.pio.linear_rip, cui_linear_rip by 6.1); otherwise AL/AX merge into the RAX userspace left"},
			OtherPaths: []arch.CompletionPath{func() arch.CompletionPath {
				p := emulatorRead
				p.Source.Function = "complete_emulated_pio, x86_emulate_instruction, emulate.c writeback_registers"
				return p
			}()},
		},
		{
			ExitReason: uapi.KVM_EXIT_IO, Access: arch.AccessWrite,
			Spec:     "CMP-2",
			Effect:   "RIP past the OUT (dropped if userspace moved RIP)",
			OnceOnly: true,
			Source: arch.Source{File: x86c, Function: "complete_fast_pio_out", Since: "5.1",
				Note: "before 5.1 (45def77ebf79) the OUT was skipped before the exit"},
			Path:       "fast PIO",
			OnPCChange: arch.Dropped, OnRegChange: arch.RegNone,
			PCChangeSource: arch.Source{File: x86c, Function: "complete_fast_pio_out", Since: "5.1",
				Note: "45def77ebf79: no skip when kvm_is_linear_rip fails against the linear RIP of the exit"},
			OtherPaths: []arch.CompletionPath{{Name: "emulator", PCPastAtExit: true,
				OnPCChange: arch.PCKept, OnRegChange: arch.RegNone,
				Source: arch.Source{File: x86c, Function: "x86_emulate_instruction", Since: "5.4",
					Note: "an emulated OUT writes RIP back before the exit (pio.count cleared, writeback kept) and sets no complete_userspace_io; " + checked}}},
		},
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessRead,
			Spec:     "CMP-4",
			Effect:   "the emulator re-runs and writes the destination; RIP past the load",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_emulated_mmio", Since: "4.11"},
			Path:     emulatorRead.Name, OnPCChange: emulatorRead.OnPCChange, OnRegChange: emulatorRead.OnRegChange,
			PCChangeSource: func() arch.Source {
				src := emulatorRead.Source
				src.Function = "complete_emulated_mmio, x86_emulate_instruction, emulate.c writeback_registers"
				return src
			}(),
		},
		{
			ExitReason: uapi.KVM_EXIT_MMIO, Access: arch.AccessWrite,
			Effect:       "none: the emulator wrote back and moved RIP before the exit",
			PCPastAtExit: true, OnceOnly: true,
			Source: arch.Source{File: x86c, Function: "x86_emulate_instruction", Since: "4.11",
				Note: "a write split across pages completes its fragments in complete_emulated_mmio"},
			Path:       "emulator",
			OnPCChange: arch.PCKept, OnRegChange: arch.RegNone,
			PCChangeSource: arch.Source{File: x86c, Function: "complete_emulated_mmio", Since: "5.4",
				Note: "RIP was written back before the exit; the completion of the last write fragment returns 1 without touching it; " + checked},
		},
		{
			ExitReason: uapi.KVM_EXIT_X86_RDMSR, Access: arch.AccessRead,
			Spec:     "CMP-6",
			Effect:   "EDX:EAX = msr.data unless msr.error (then #GP); RIP past the RDMSR",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_fast_rdmsr", Since: "5.10"},
			Path:     "VMX", PathVendor: "kvm_intel", OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: "arch/x86/kvm/vmx/vmx.c", Function: "skip_emulated_instruction, x86.c complete_fast_rdmsr", Since: "5.10",
				Note: "complete_userspace_rdmsr writes EAX/EDX unconditionally; RIP += VMCS VM_EXIT_INSTRUCTION_LEN from the RIP userspace set; verified in 5.4, 6.1, 6.12 and 6.19"},
			OtherPaths: []arch.CompletionPath{svmSkip("5.10"), svmNoNRIPS("5.10"), emulatorMSR},
		},
		{
			ExitReason: uapi.KVM_EXIT_X86_WRMSR, Access: arch.AccessWrite,
			Effect:   "RIP past the WRMSR unless msr.error (then #GP)",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_fast_msr_access", Since: "5.10"},
			Path:     wrmsrVMX.Name, PathVendor: wrmsrVMX.Vendor, OnPCChange: wrmsrVMX.OnPCChange, OnRegChange: wrmsrVMX.OnRegChange, PCChangeSource: wrmsrVMX.Source,
			OtherPaths: []arch.CompletionPath{wrmsrSVM, wrmsrSVMNoNRIPS, emulatorWRMSR},
		},
		{
			ExitReason: uapi.KVM_EXIT_HYPERCALL, Access: arch.AccessNone,
			Spec:     "CMP-7",
			Effect:   "RAX = hypercall.ret; RIP past the VMCALL/VMMCALL",
			OnceOnly: true,
			Source:   arch.Source{File: x86c, Function: "complete_hypercall_exit", Since: "5.14"},
			Path:     "VMX", PathVendor: "kvm_intel", OnPCChange: arch.AppliedAtNewPC, OnRegChange: arch.RegWritten,
			PCChangeSource: arch.Source{File: "arch/x86/kvm/vmx/vmx.c", Function: "skip_emulated_instruction, x86.c complete_hypercall_exit", Since: "5.14",
				Note: "RAX = hypercall.ret unconditionally; RIP += VMCS VM_EXIT_INSTRUCTION_LEN from the RIP userspace set; the emulator makes no KVM_EXIT_HYPERCALL (em_hypercall rewrites the instruction, emulator_fix_hypercall); verified in 6.1, 6.12 and 6.19"},
			OtherPaths: []arch.CompletionPath{svmSkip("5.14"), svmNoNRIPS("5.14")},
		},
	}}
}

// RegsIoctl implements arch.Facts: x86 has KVM_GET_REGS / KVM_SET_REGS
// (struct kvm_regs, the GPRs, RIP and RFLAGS).
func (Arch) RegsIoctl() arch.RegsFacts {
	return arch.RegsFacts{Supported: true,
		Source: arch.Source{File: "arch/x86/kvm/x86.c", Function: "kvm_arch_vcpu_ioctl_get_regs", Since: "2.6.20"}}
}

// MPState implements arch.Facts (kernel-semantics.md §4.1, MP-X1, MP-X3)
// for a VM as arch.Arch sets it up: no in-kernel irqchip. The x86 specs
// (suites/mpstate) create the irqchip themselves where a rule requires it.
func (Arch) MPState() arch.MPStateFacts {
	const file = "arch/x86/kvm/x86.c"
	set := arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_set_mpstate", Since: "3.10",
		Note: "the switch of 66450a21f996; verified in 6.1, 6.12 and 6.19"}
	withLAPIC := func(state uapi.MPState, since string) arch.MPStateRule {
		s := set
		s.Since = since
		return arch.MPStateRule{State: state, Requires: LAPICRequirement, Source: s}
	}
	return arch.MPStateFacts{
		Supported: true,
		// kvm_arch_vcpu_create: RUNNABLE unless an in-kernel irqchip
		// exists and the vCPU is not the boot CPU (then UNINITIALIZED,
		// MP-X1).
		InitialFirst:  uapi.KVM_MP_STATE_RUNNABLE,
		InitialSecond: uapi.KVM_MP_STATE_RUNNABLE,
		Set: []arch.MPStateRule{
			{State: uapi.KVM_MP_STATE_RUNNABLE, Source: set},
			withLAPIC(uapi.KVM_MP_STATE_UNINITIALIZED, "3.10"),
			withLAPIC(uapi.KVM_MP_STATE_INIT_RECEIVED, "3.10"),
			withLAPIC(uapi.KVM_MP_STATE_HALTED, "3.10"),
			withLAPIC(uapi.KVM_MP_STATE_SIPI_RECEIVED, "3.10"),
			withLAPIC(uapi.KVM_MP_STATE_AP_RESET_HOLD, "5.11"),
		},
		RejectErrno: unix.EINVAL,
		Source: arch.Source{File: file, Function: "kvm_arch_vcpu_ioctl_get_mpstate/set_mpstate", Since: "2.6.26",
			Note: "INIT_RECEIVED and SIPI_RECEIVED are also refused (EINVAL) while INIT is latched or an SMI pending, until 6.17 moved that check to KVM_RUN (MP-X12)"},
	}
}

// LAPICRequirement is the condition of the x86 KVM_SET_MP_STATE values
// other than RUNNABLE: kvm_arch_vcpu_ioctl_set_mpstate refuses them with
// EINVAL when !lapic_in_kernel(vcpu).
const LAPICRequirement = "an in-kernel LAPIC (KVM_CREATE_IRQCHIP)"

// Signals implements arch.Facts: vcpu_enter_guest checks for a pending
// signal (kvm_vcpu_exit_request, signal_pending before 5.x) after
// disabling interrupts and cancels the entry, and vcpu_run then returns
// EINTR with KVM_EXIT_INTR, so no guest instruction runs (SIG-2).
func (Arch) Signals() arch.SignalFacts {
	return arch.SignalFacts{SeenBeforeGuest: true,
		Source: arch.Source{File: "arch/x86/kvm/x86.c", Function: "vcpu_enter_guest, vcpu_run", Since: "4.0",
			Note: "hedge on the version: kernel-semantics SIG-2 says at least 4.x; xfer_to_guest_mode_handle_work since 5.11"}}
}

// VCPUMmap implements arch.Facts: kvm_run, then the PIO data page
// (KVM_PIO_PAGE_OFFSET = 1, arch/x86/include/uapi/asm/kvm.h), which
// kvm_dev_ioctl adds under CONFIG_X86.
func (Arch) VCPUMmap() arch.MmapFacts {
	f := arch.RunPageOnly()
	f.MinPages = 2
	return f
}
