package guests

import (
	"slices"
	"strings"
	"testing"
)

// documented lists, per scenario (name or name prefix ending in "-"), the
// symbols its images promise beyond _start and marker.
func documented() map[string][]string {
	insn := []string{"insn", "after"}
	return map[string][]string{
		"report":               insn,
		"spin":                 {"spin"},
		"exit-loop":            {"loop"},
		"halt":                 insn,
		"cli-hlt":              {"insn", "after", "hlt_insn"},
		"mmio-load-":           append(insn, "POISON", "MMIO_BASE"),
		"mmio-store":           append(insn, "STORE_VALUE", "MMIO_BASE"),
		"mmio-nisv":            append(insn, "POISON", "MMIO_BASE"),
		"mmio-split":           append(insn, "POISON", "MMIO_SPLIT"),
		"pio-in-":              append(insn, "PIO_PORT", "POISON"),
		"pio-out-":             append(insn, "PIO_PORT", "STORE_VALUE"),
		"pio-rep-insb":         append(insn, "PIO_PORT", "buf", "BUF_LEN"),
		"rdmsr-unknown":        append(insn, "UNKNOWN_MSR", "POISON"),
		"vmcall-map-gpa":       append(insn, "_start32", "KVM_HC_MAP_GPA_RANGE", "MAP_GPA", "MAP_NPAGES", "MAP_ATTRS"),
		"vmmcall-map-gpa":      append(insn, "_start32", "KVM_HC_MAP_GPA_RANGE", "MAP_GPA", "MAP_NPAGES", "MAP_ATTRS"),
		"vmcall-kick-cpu":      append(insn, "KVM_HC_KICK_CPU", "kick_apic_id", "ap_halt", "ap_hlt"),
		"vmmcall-kick-cpu":     append(insn, "KVM_HC_KICK_CPU", "kick_apic_id", "ap_halt", "ap_hlt"),
		"ap-trampoline":        {"trampoline", "trampoline_report", "trampoline_hlt", "TRAMPOLINE", "SIPI_VECTOR"},
		"bsp-init-sipi-xapic":  {"_start32", "send_init", "send_sipi", "apic_dest", "trampoline", "SIPI_VECTOR", "REPORT_SENT"},
		"bsp-init-sipi-x2apic": {"_start32", "enable_x2apic", "send_init", "send_sipi", "apic_dest", "trampoline", "SIPI_VECTOR", "REPORT_SENT"},
		"psci-caller":          {"cpu_on", "affinity_info", "cpu_on_again", "affinity_info_again", "system_off", "secondary", "cpu_off", "psci_target", "psci_context"},
		"sbi-ecall-exp":        append(insn, "SBI_EID", "SBI_FID"),
		"sbi-hsm-caller":       {"hart_start", "hart_status", "hart_start_again", "hart_status_again", "secondary", "hart_stop", "hsm_target", "hsm_opaque"},
		"papr-hcall":           append(insn, "H_GET_TERM_CHAR"),
		"sigp-caller":          {"insn", "after", "sigp_start", "sigp_sense", "secondary", "sigp_target", "REPORT_SECONDARY"},
		"nested-svm": {"_start32", "enable_svm", "l1_loop", "vmrun_insn", "after_vmrun", "l1_stopped", "l1_irq", "l1_fault",
			"l2_start", "l2_loop", "l2_loop_end", "l2_handler", "l2_exit", "l1_irqs", "l1_vmexits", "l2_count", "l2_handled",
			"l2_unexpected", "l2_handler_eip", "l2_handler_count", "cfg_intercept_misc1", "cfg_int_ctl", "cfg_event_inj", "VMCB", "HSAVE", "L1_VECTOR", "L2_VECTOR",
			"REPORT_L1_READY", "REPORT_L1_VMEXIT", "REPORT_L1_NOIRQ", "REPORT_L1_FAULT", "VMCB_EXITCODE", "VMCB_EXITINFO1",
			"VMCB_EXITINFO2", "VMCB_EXITINTINFO", "VMCB_EVENTINJ", "VMCB_RIP", "INTERCEPT_INTR", "INTERCEPT_SHUTDOWN",
			"V_INTR_MASKING", "EVENTINJ_VALID", "SVM_EXIT_INTR", "SVM_EXIT_VMMCALL", "SVM_EXIT_SHUTDOWN"},
	}
}

// promised returns the documented symbols of scenario, and whether it is
// documented at all.
func promised(scenario string) ([]string, bool) {
	for key, syms := range documented() {
		if key == scenario || strings.HasSuffix(key, "-") && strings.HasPrefix(scenario, key) {
			return syms, true
		}
	}
	return nil, false
}

// forEachImage runs f on every embedded image as a subtest.
func forEachImage(t *testing.T, f func(t *testing.T, im *Image, lay MemoryLayout)) {
	t.Helper()
	for _, arch := range Arches() {
		lay, err := Layout(arch)
		if err != nil {
			t.Fatal(err)
		}
		names := Scenarios(arch)
		if len(names) == 0 {
			t.Errorf("%s: no images", arch)
		}
		for _, name := range names {
			t.Run(arch+"/"+name, func(t *testing.T) {
				im, err := Load(arch, name)
				if err != nil {
					t.Fatal(err)
				}
				if im.Arch != arch || im.Name != name {
					t.Errorf("Load(%q, %q) = image %s/%s", arch, name, im.Arch, im.Name)
				}
				f(t, im, lay)
			})
		}
	}
}

func TestImageStructure(t *testing.T) {
	forEachImage(t, func(t *testing.T, im *Image, lay MemoryLayout) {
		if start := im.MustSym("_start"); start != im.Entry {
			t.Errorf("_start = %#x, entry = %#x", start, im.Entry)
		}
		entryLoaded := false
		for _, s := range im.Segments {
			if uint64(len(s.Data)) > s.Memsz {
				t.Errorf("segment %#x: %d file bytes > memsz %#x", s.Phys, len(s.Data), s.Memsz)
			}
			if s.Phys < lay.RAMBase || s.Phys+s.Memsz > lay.RAMBase+lay.RAMSize {
				t.Errorf("segment [%#x, %#x) outside RAM [%#x, %#x)", s.Phys, s.Phys+s.Memsz, lay.RAMBase, lay.RAMBase+lay.RAMSize)
			}
			if im.Entry >= s.Virt && im.Entry-s.Virt < s.Memsz {
				entryLoaded = true
			}
		}
		if !entryLoaded {
			t.Errorf("entry %#x is in no loadable segment", im.Entry)
		}
		marker, err := im.SymPhys("marker")
		if err != nil {
			t.Fatal(err)
		}
		if got := readWord(t, im, lay, marker); got != 0 {
			t.Errorf("marker starts as %#x, want 0", got)
		}
	})
}

// readWord reads the 4-byte word at guest-physical addr from the image.
func readWord(t *testing.T, im *Image, lay MemoryLayout, addr uint64) uint32 {
	t.Helper()
	ram := make([]byte, lay.RAMSize)
	if err := im.CopyTo(ram, lay.RAMBase); err != nil {
		t.Fatal(err)
	}
	off := addr - lay.RAMBase
	return lay.ByteOrder.Uint32(ram[off : off+4])
}

func TestDocumentedSymbols(t *testing.T) {
	forEachImage(t, func(t *testing.T, im *Image, lay MemoryLayout) {
		syms, ok := promised(im.Name)
		if !ok {
			t.Fatalf("scenario %q is not in the documented-symbols table of this test", im.Name)
		}
		for _, s := range syms {
			if _, err := im.Sym(s); err != nil {
				t.Error(err)
			}
		}
		insn, hasInsn := im.Symbols["insn"]
		after, hasAfter := im.Symbols["after"]
		if hasInsn != hasAfter {
			t.Fatalf("insn and after must come together")
		}
		if !hasInsn {
			return
		}
		want := uint64(4) // fixed-width instructions
		switch {
		case im.Arch == X86:
			want = 0 // any length
		case strings.HasPrefix(im.Name, "mmio-load-c-"):
			want = 2
		}
		if after <= insn || want != 0 && after-insn != want {
			t.Errorf("insn = %#x, after = %#x: want after = insn + %d", insn, after, want)
		}
	})
}

func TestConstantsMatchPackage(t *testing.T) {
	forEachImage(t, func(t *testing.T, im *Image, lay MemoryLayout) {
		poison := Poison
		if im.Arch == X86 {
			poison &= 0xFFFFFFFF
		}
		want := map[string]uint64{
			"RAM_BASE":         lay.RAMBase,
			"RAM_SIZE":         lay.RAMSize,
			"DOORBELL":         lay.Doorbell,
			"MARKER_VALUE":     uint64(MarkerValue),
			"STORE_VALUE":      uint64(StoreValue),
			"POISON":           poison,
			"REPORT_HELLO":     uint64(ReportHello),
			"REPORT_DONE":      uint64(ReportDone),
			"REPORT_SENT":      uint64(ReportSent),
			"REPORT_SECONDARY": uint64(ReportSecondary),
			"SIPI_VECTOR":      SIPIVector,
			"TRAMPOLINE":       SIPIVector << 12,
			"REPORT_L1_READY":  uint64(ReportL1Ready),
			"REPORT_L1_VMEXIT": uint64(ReportL1VMExit),
			"REPORT_L1_NOIRQ":  uint64(ReportL1NoIRQ),
			"REPORT_L1_FAULT":  uint64(ReportL1Fault),
			"L1_VECTOR":        NestedL1Vector,
			"L2_VECTOR":        NestedL2Vector,
		}
		if lay.MMIOBase != 0 {
			want["MMIO_BASE"] = lay.MMIOBase
		}
		for _, required := range []string{"RAM_BASE", "RAM_SIZE", "DOORBELL", "MARKER_VALUE", "REPORT_DONE"} {
			if _, ok := im.Symbols[required]; !ok {
				t.Errorf("no symbol %s", required)
			}
		}
		for name, w := range want {
			if got, ok := im.Symbols[name]; ok && got != w {
				t.Errorf("%s = %#x in the image, %#x in the package", name, got, w)
			}
		}
		if tr, ok := im.Symbols["trampoline"]; ok && tr != SIPIVector<<12 {
			t.Errorf("trampoline at %#x, want %#x", tr, SIPIVector<<12)
		}
	})
}

func TestLayouts(t *testing.T) {
	for _, arch := range Arches() {
		lay, err := Layout(arch)
		if err != nil {
			t.Fatal(err)
		}
		inRAM := func(a uint64) bool { return a >= lay.RAMBase && a-lay.RAMBase < lay.RAMSize }
		if lay.RAMSize == 0 || lay.RAMBase%0x10000 != 0 || lay.RAMSize%0x10000 != 0 {
			t.Errorf("%s: RAM [%#x +%#x) is not 64 KiB aligned (host pages)", arch, lay.RAMBase, lay.RAMSize)
		}
		if lay.ByteOrder == nil {
			t.Errorf("%s: no byte order", arch)
		}
		if lay.MMIOBase != 0 {
			// x86 mmio-split touches the page after MMIOBase too.
			for _, a := range []uint64{lay.MMIOBase, lay.MMIOBase + 0x1FFF} {
				if inRAM(a) {
					t.Errorf("%s: MMIO address %#x is in RAM", arch, a)
				}
			}
		}
		switch arch {
		case X86:
			if lay.MMIOBase+0x2000 > 0x100000 || lay.Doorbell > 0xFFFF {
				t.Errorf("x86: MMIO %#x must be reachable from real mode, doorbell %#x must be a port", lay.MMIOBase, lay.Doorbell)
			}
		case S390X:
			if lay.RAMBase%(1<<20) != 0 || lay.RAMSize%(1<<20) != 0 {
				t.Errorf("s390x: RAM must be 1 MiB aligned")
			}
		default:
			if inRAM(lay.Doorbell) || lay.Doorbell/0x10000 == lay.MMIOBase/0x10000 {
				t.Errorf("%s: doorbell %#x must be unbacked and apart from MMIO %#x", arch, lay.Doorbell, lay.MMIOBase)
			}
		}
	}
	if _, err := Layout("vax"); err == nil {
		t.Error("Layout(vax) succeeded")
	}
}

func TestMMIOLoads(t *testing.T) {
	for _, arch := range Arches() {
		loads := MMIOLoads(arch)
		var listed []string
		for _, l := range loads {
			listed = append(listed, l.Scenario)
			if !Has(arch, l.Scenario) {
				t.Errorf("%s: MMIOLoads lists %s, which has no image", arch, l.Scenario)
				continue
			}
			if !slices.Contains([]int{1, 2, 4, 8}, l.Width) || !slices.Contains([]int{8, 16, 32, 64}, l.DestBits) ||
				l.DestBits < 8*l.Width || l.Reg == "" || l.Insn == "" {
				t.Errorf("%s: bad entry %+v", arch, l)
			}
			im, err := Load(arch, l.Scenario)
			if err != nil {
				t.Fatal(err)
			}
			if got := im.MustSym("POISON"); got != l.Poison {
				t.Errorf("%s/%s: POISON = %#x, table says %#x", arch, l.Scenario, got, l.Poison)
			}
		}
		for _, name := range Scenarios(arch) {
			if strings.HasPrefix(name, "mmio-load-") && !slices.Contains(listed, name) {
				t.Errorf("%s: image %s is missing from MMIOLoads", arch, name)
			}
		}
	}
	if MMIOLoads(S390X) != nil {
		t.Error("s390x has MMIO loads")
	}
}

func TestMMIOLoadExpect(t *testing.T) {
	find := func(arch, scenario string) MMIOLoad {
		t.Helper()
		for _, l := range MMIOLoads(arch) {
			if l.Scenario == scenario {
				return l
			}
		}
		t.Fatalf("no %s/%s", arch, scenario)
		return MMIOLoad{}
	}
	for _, c := range []struct {
		arch, scenario     string
		data, before, want uint64
	}{
		// CMP-8: W register zero-extends, ldrsb x sign-extends.
		{ARM64, "mmio-load-ldr-w", 0xFFFFFFFF, Poison, 0x00000000FFFFFFFF},
		{ARM64, "mmio-load-ldrsb-x", 0x80, Poison, 0xFFFFFFFFFFFFFF80},
		{ARM64, "mmio-load-ldrsb-w", 0x80, Poison, 0x00000000FFFFFF80},
		{ARM64, "mmio-load-ldr-x", 0x8877665544332211, Poison, 0x8877665544332211},
		{X86, "mmio-load-movb", 0xAB, 0x2222222211111111, 0x22222222111111AB},
		{X86, "mmio-load-movw", 0xABCD, 0x11111111, 0x1111ABCD},
		{X86, "mmio-load-movl", 0x89ABCDEF, 0x2222222211111111, 0x89ABCDEF},
		{X86, "mmio-load-movsbl", 0x80, 0x11111111, 0xFFFFFF80},
		{X86, "mmio-load-movswl", 0x7FFF, 0x11111111, 0x7FFF},
		{RISCV64, "mmio-load-lw", 0x80000000, Poison, 0xFFFFFFFF80000000},
		{RISCV64, "mmio-load-lwu", 0x80000000, Poison, 0x80000000},
		{PPC64, "mmio-load-lha", 0xFFFE, Poison, 0xFFFFFFFFFFFFFFFE},
		{MIPS, "mmio-load-lbu", 0xFF, Poison, 0xFF},
	} {
		if got := find(c.arch, c.scenario).Expect(c.data, c.before); got != c.want {
			t.Errorf("%s/%s.Expect(%#x, %#x) = %#x, want %#x", c.arch, c.scenario, c.data, c.before, got, c.want)
		}
	}
}

func TestReason(t *testing.T) {
	for _, arch := range Arches() {
		for _, name := range Scenarios(arch) {
			if r := Reason(arch, name); r != "" {
				t.Errorf("Reason(%q, %q) = %q for an existing image", arch, name, r)
			}
		}
	}
	for _, c := range []struct{ arch, scenario, want string }{
		{X86, "sbi-ecall-exp", "x86 has no SBI"},
		{ARM64, "pio-in-b", "arm64 has no port I/O"},
		{S390X, "mmio-store", "s390x has no MMIO"},
		{S390X, "mmio-load-lb", "s390x has no MMIO"},
		{RISCV64, "mmio-split", "only x86"},
		{RISCV64, "rdmsr-unknown", "no MSRs"},
		{PPC64, "halt", "H_CEDE"},
		{ARM64, "bsp-init-sipi-xapic", "psci-caller"},
		{X86, "mmio-load-movq", "8-byte"},
		{ARM64, "mmio-load-lwz", "MMIOLoads"},
		{X86, "nonsense", "no scenario"},
		{X86, "nested-vmx", "VMX L1 not written: no VMX host or emulation to run it on"},
		{ARM64, "nested-svm", "x86"},
		{"vax", "report", "unknown arch"},
		{"loong64", "report", "loongarch64 binutils"},
		{"", "report", "no guest images"},
	} {
		if got := Reason(c.arch, c.scenario); !strings.Contains(got, c.want) {
			t.Errorf("Reason(%q, %q) = %q, want it to contain %q", c.arch, c.scenario, got, c.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range [][2]string{{X86, "psci-caller"}, {"../images", "x86"}, {X86, "../x86/report"}, {"", ""}} {
		if _, err := Load(c[0], c[1]); err == nil {
			t.Errorf("Load(%q, %q) succeeded", c[0], c[1])
		}
		if Has(c[0], c[1]) {
			t.Errorf("Has(%q, %q)", c[0], c[1])
		}
	}
	im, err := Load(ARM64, "report")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Sym("no_such_symbol"); err == nil {
		t.Error("Sym of a missing symbol succeeded")
	}
	if _, err := im.SymPhys("RAM_SIZE"); err == nil {
		t.Error("SymPhys of a constant succeeded")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustSym of a missing symbol did not panic")
		}
	}()
	im.MustSym("no_such_symbol")
}

func TestCopyTo(t *testing.T) {
	lay, err := Layout(MIPS)
	if err != nil {
		t.Fatal(err)
	}
	im, err := Load(MIPS, "report")
	if err != nil {
		t.Fatal(err)
	}
	ram := make([]byte, lay.RAMSize)
	for i := range ram {
		ram[i] = 0xEE
	}
	if err := im.CopyTo(ram, lay.RAMBase); err != nil {
		t.Fatal(err)
	}
	for _, s := range im.Segments {
		got := ram[s.Phys-lay.RAMBase:][:s.Memsz]
		if string(got[:len(s.Data)]) != string(s.Data) {
			t.Errorf("segment %#x not copied", s.Phys)
		}
		for _, b := range got[len(s.Data):] {
			if b != 0 {
				t.Fatalf("segment %#x not zero-filled", s.Phys)
			}
		}
	}
	// The entry is a KSEG0 address; its physical twin holds the code.
	if entry, err := im.SymPhys("_start"); err != nil || entry != 0x10000 {
		t.Errorf("SymPhys(_start) = %#x, %v; want 0x10000", entry, err)
	}
	small := make([]byte, 0x10000)
	if err := im.CopyTo(small, lay.RAMBase); err == nil {
		t.Error("CopyTo into too small a RAM succeeded")
	}
	if err := im.CopyTo(ram, 0x20000); err == nil {
		t.Error("CopyTo with RAM above the image succeeded")
	}
}

func TestHostArch(t *testing.T) {
	arch := HostArch()
	if arch == "" {
		if Reason(arch, "report") == "" {
			t.Error("no host arch and no reason")
		}
		return
	}
	if !Has(arch, "report") || !Has(arch, "spin") {
		t.Errorf("host arch %s lacks report or spin", arch)
	}
}
