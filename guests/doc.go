// Package guests holds the guest programs that the suites run inside KVM:
// one small assembly program per scenario and architecture, assembled by
// binutils into an ELF image (guests/src/<arch>/<scenario>.S →
// guests/images/<arch>/<scenario>.elf, rebuilt by `go run ./guests/build`,
// checked by `go run ./guests/build -check`) and embedded in this package.
//
// Load returns an image's loadable segments, entry point and symbols, so a
// spec asserts PC == img.MustSym("after") instead of counting bytes.
// Layout gives the memory map the images assume, Scenarios and Has which
// images exist, and Reason why one does not (for a spec's Skip).
// MMIOLoads describes the mmio-load-* scenarios for table-driven
// completion specs; it is also what their images are built from (one
// program per entry, written from guests/src/<arch>/mmio-load.S.tmpl).
//
// # Architectures and memory layout
//
// The vocabulary is x86, arm64, ppc64, riscv64, s390x and mips (HostArch
// maps GOARCH to it). loong64 has no images: Debian bookworm has no
// loongarch64 binutils. The harness maps one memslot of RAMSize bytes at
// RAMBase, copies the segments into it (Image.CopyTo) and leaves MMIOBase
// and the doorbell unbacked. Addresses are guest-physical.
//
//	arch     RAM                     linked at    MMIOBase    doorbell
//	x86      0x0 + 640 KiB           0x1000       0xD0000     I/O port 0x0DB0
//	arm64    0x40000000 + 1 MiB      0x40000000   0x10000000  0x10010000
//	ppc64    0x0 + 1 MiB             0x10000      0x10000000  0x10010000
//	riscv64  0x80000000 + 1 MiB      0x80000000   0x10000000  0x10010000
//	s390x    0x0 + 1 MiB             0x10000      none        DIAG 0x501
//	mips     0x0 + 1 MiB             0x10000      0x10000000  0x10010000
//
// x86 images also have the AP trampoline at 0x8000 when they use it. mips
// code runs in KSEG0: symbols, Entry and Segment.Virt are KSEG0 addresses
// (0xFFFFFFFF80000000 + physical), Segment.Phys is physical, and the guest
// reaches MMIOBase and the doorbell through KSEG1 (0xFFFFFFFFA0000000 +
// physical). Everywhere else virtual = physical (no paging).
//
// # Setting up a vCPU to run an image
//
// Every image starts at Entry (= symbol _start). Per architecture:
//
//   - x86: 16-bit real mode. After KVM_CREATE_VCPU, set CS selector 0 and
//     base 0 (KVM_SET_SREGS; keep the reset limit and attributes) and
//     KVM_SET_REGS with RIP = Entry, RFLAGS = 0x2. The image sets DS, ES
//     and SS itself and, where it needs flat 32-bit protected mode
//     (vmcall-map-gpa, vmmcall-map-gpa, bsp-init-sipi-*), switches with its
//     own GDT (label _start32). On Intel without unrestricted guest, real
//     mode also needs KVM_SET_TSS_ADDR (somewhere outside RAM and MMIO).
//   - arm64: KVM_ARM_VCPU_INIT with the preferred target (plus
//     KVM_ARM_VCPU_PSCI_0_2 for psci-caller, and KVM_ARM_VCPU_POWER_OFF for
//     its secondary vCPU), then KVM_SET_ONE_REG PC = Entry. The reset state
//     (EL1h, DAIF masked, MMU off) is what the images expect.
//   - ppc64: KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR) on the vCPU, then
//     KVM_SET_REGS with pc = Entry and msr = 0x8000000000001003 (SF, ME,
//     RI, LE: 64-bit little-endian real mode). On a radix host (POWER9 and
//     nested HV) nothing else is needed.
//   - riscv64: KVM_SET_ONE_REG PC = Entry; the reset state (S-mode, satp 0,
//     interrupts off) is what the images expect.
//   - s390x: before the first KVM_RUN, kvm_run psw_mask =
//     0x0000000180000000 (64-bit addressing, DAT and interrupts off) and
//     psw_addr = Entry (KVM reads the PSW from kvm_run on every run and
//     writes it back at every exit). The memslot's host address must be
//     1 MiB aligned.
//   - mips: KVM_SET_REGS with pc = Entry (sign-extended KSEG0 address).
//
// # Reporting to the host
//
// A guest reports a 32-bit ReportValue through its architecture's natural
// exit, then goes on (multi-step scenarios) or spins:
//
//   - x86: OUT of EAX, 4 bytes, to the doorbell port: KVM_EXIT_IO,
//     direction out, size 4, count 1; the value is the data at
//     io.data_offset (and still in EAX).
//   - arm64, ppc64, riscv64, mips: a 4-byte store to the doorbell address:
//     KVM_EXIT_MMIO, is_write 1, len 4; the value is mmio.data[0:4] in the
//     guest's byte order (MemoryLayout.ByteOrder). Constants go through
//     x0, r3, a0 and a0 ($4) respectively.
//   - s390x: DIAG 0x501 (`diag %r2,%r0,0x501`, which KVM leaves to
//     userspace): KVM_EXIT_S390_SIEIC, icptcode 4, ipa 0x8320, ipb
//     0x05010000; the value is the low 32 bits of r2. The PSW address is
//     already past the DIAG.
//
// At a report exit the other registers are stable, so a spec can read
// them (e.g. a1 for an SBI value, r1 for a SIGP status).
//
// # Symbols
//
// Every image has _start (= Entry) and a 4-byte RAM word `marker`, 0 in
// the image. Where a scenario has an instruction under test, `insn` is its
// address and `after` the next instruction's; right after it the program
// stores MarkerValue to `marker`, so a spec can check that nothing ran
// past an immediate exit. The images also carry their constants as
// symbols: RAM_BASE, RAM_SIZE, MMIO_BASE, DOORBELL, MARKER_VALUE, POISON,
// STORE_VALUE, REPORT_* and each scenario's own (UNKNOWN_MSR, SBI_EID, ...).
//
// # Scenarios
//
//	report          report ReportHello; `insn` is the doorbell OUT/store/DIAG
//	                itself, then the marker; all arches
//	spin            marker, then a tight loop at `spin`; all arches (SIG-5, SIG-6)
//	exit-loop       an exit in a loop at `loop`: x86 OUT of StoreValue's low
//	                byte to PIO_PORT, arm64/riscv64/ppc64 4-byte store to
//	                MMIOBase; every KVM_RUN is one exit (bench/)
//	halt            x86: HLT (`insn`) with RFLAGS.IF as set by the harness,
//	                then marker and ReportDone; arm64, riscv64: WFI in a
//	                loop; mips: WAIT in a loop
//	cli-hlt         x86: CLI, then HLT (`insn` = `hlt_insn`) in a loop (SIG-7)
//	mmio-load-*     see MMIOLoads; x86 loads from ES:0 with ES = MMIOBase>>4
//	mmio-store      4-byte store of StoreValue to MMIOBase (CMP-9)
//	mmio-nisv       arm64: `ldp w1, w2, [x0]` from MMIOBase, x1 = x2 = POISON:
//	                a data abort without syndrome (ISV = 0)
//	mmio-split      x86: 4-byte load at MMIOBase+0xFFE, two 2-byte exits (CMP-5)
//	pio-in-b/w/l    x86: IN AL/AX/EAX from port PIO_PORT (0x3F0), EAX = POISON (CMP-1..3)
//	pio-out-b/w/l   x86: OUT AL/AX/EAX of StoreValue to PIO_PORT
//	pio-rep-insb    x86: REP INSB, 4 bytes from PIO_PORT into `buf` (four 0x11 bytes)
//	rdmsr-unknown   x86: RDMSR of UNKNOWN_MSR 0x0BADC0DE, EAX = EDX = POISON (CMP-6)
//	vmcall-map-gpa  x86: VMCALL (Intel) KVM_HC_MAP_GPA_RANGE: EAX 12,
//	                EBX MAP_GPA 0x10000, ECX 1, EDX 0, at CPL 0 (CMP-7)
//	vmmcall-map-gpa the same with VMMCALL (AMD)
//	vmcall-kick-cpu x86: VMCALL KVM_HC_KICK_CPU (EAX 5, EBX 0, ECX the RAM
//	                word kick_apic_id, default 1) in real mode, then reports
//	                EAX; an AP at `ap_halt` runs CLI and HLT (`ap_hlt`) in a
//	                loop (MP-X13)
//	vmmcall-kick-cpu the same with VMMCALL (AMD)
//	ap-trampoline   x86: the AP trampoline alone; _start = `trampoline`
//	bsp-init-sipi-xapic   x86: INIT, then SIPI (vector SIPIVector) to APIC
//	                ID `apic_dest` (default 1) through the xAPIC ICR, then
//	                ReportSent; the AP reports its CS, 0x0800
//	bsp-init-sipi-x2apic  the same through x2APIC (EXTD, ICR MSR 0x830);
//	                needs CPUID.1:ECX.x2APIC from KVM_SET_CPUID2
//	nested-svm      x86: an AMD SVM hypervisor (L1, 32-bit protected mode
//	                with 4 MiB paging) that runs an L2 loop counting in
//	                `l2_count`, injects L2 vector NestedL2Vector (EVENTINJ;
//	                L2's handler counts in `l2_handled`), intercepts INTR
//	                with V_INTR_MASKING, reports ReportL1Ready before its
//	                first VMRUN (GIF = 0, IF = 1) and ReportL1VMExit after
//	                each #VMEXIT (exit code, L2 count, handler count,
//	                EXITINTINFO, L2 RIP in EBX, ECX, ESI, EDI, EBP); it takes
//	                NestedL1Vector from its LAPIC after #VMEXIT(INTR) and
//	                runs L2 again (guests/src/x86/nested.inc)
//	psci-caller     arm64: CPU_ON, AFFINITY_INFO, CPU_ON, AFFINITY_INFO,
//	                SYSTEM_OFF, reporting x0 after each; `secondary`
//	                reports its context and calls CPU_OFF (MP-A4, MP-A5)
//	sbi-ecall-exp   riscv64: ECALL with a7 = SBI_EID 0x08000042 (experimental
//	                range), a6 = SBI_FID 7, a0..a5 = 0xA0..0xA5 (CMP-10)
//	sbi-hsm-caller  riscv64: HART_START, HART_GET_STATUS, HART_START,
//	                HART_GET_STATUS, reporting a0 after each; `secondary`
//	                reports its opaque and calls HART_STOP (MP-R2)
//	papr-hcall      ppc64: `sc 1` with r3 = H_GET_TERM_CHAR (0x54), r4..r12 = 4..12 (CMP-12)
//	sigp-caller     s390x: SIGP START, then SIGP SENSE, to CPU `sigp_target`
//	                (default 1), reporting the condition code after each;
//	                `secondary` reports ReportSecondary (MP-S4)
//
// Each multi-step scenario's source (guests/src/<arch>/<scenario>.S)
// documents its steps, the labels of its calls and the RAM words the host
// may patch before running (psci_target, psci_context, hsm_target,
// hsm_opaque, sigp_target, apic_dest, nested-svm's cfg_*).
package guests

// go generate runs in this directory, from which guests/build finds the
// module's guests/ to rebuild (-check compares instead).
//go:generate go run ./build
