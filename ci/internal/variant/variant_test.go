package variant

import (
	"slices"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/target"
)

func machine(t *testing.T, goarch string) qemu.Machine {
	t.Helper()
	a, err := target.Parse(goarch)
	if err != nil {
		t.Fatal(err)
	}
	m, err := qemu.For(a)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lookup(t *testing.T, goarch, name string) Variant {
	t.Helper()
	v, err := Lookup(goarch, name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLookup(t *testing.T) {
	for _, a := range target.All() {
		if v := lookup(t, a.GOARCH, ""); v.GOARCH != a.GOARCH || v.Name != "" || v.KVM == "" {
			t.Errorf("%s default: %+v", a.GOARCH, v)
		}
	}
	if _, err := Lookup("arm64", "pr"); err == nil || !strings.Contains(err.Error(), `arm64 has no variant "pr" (want one of nvhe)`) {
		t.Errorf("arm64 pr: %v", err)
	}
	if _, err := Lookup("riscv64", "x"); err == nil || !strings.Contains(err.Error(), "riscv64 has no variants") {
		t.Errorf("riscv64 x: %v", err)
	}
	// Every variant has a name unique in its architecture, a description,
	// and either releases to run on, a kernel of its own, or the reason it
	// cannot run; one that no Debian kernel can run has no releases.
	seen := map[string]bool{}
	for _, v := range All() {
		key := v.GOARCH + "/" + v.Name
		if seen[key] || v.KVM == "" {
			t.Errorf("variant %s: duplicate or undescribed", key)
		}
		seen[key] = true
		n := btoi(v.InMatrix()) + btoi(v.Unavailable != "") + btoi(v.Note() != "" && v.Unavailable == "") + btoi(v.OffMatrix != "")
		if v.Name != "" && n != 1 {
			t.Errorf("variant %s: releases %v, kernel %q, unavailable %q, no Debian %q, off the matrix %q: want exactly one way", key, v.Releases, v.Kernel, v.Unavailable, v.NoDebian, v.OffMatrix)
		}
		if v.NoDebian != "" && len(v.Releases) > 0 {
			t.Errorf("variant %s: no Debian kernel can run it, but it has releases %v", key, v.Releases)
		}
		if v.Kernel != "" && !strings.HasPrefix(v.Kernel, "build:") {
			t.Errorf("variant %s: kernel %q is not a recipe", key, v.Kernel)
		}
	}
}

// TestCommandLines: what each variant changes on the QEMU command line and
// nothing else.
func TestCommandLines(t *testing.T) {
	cmd := func(goarch, name string) []string {
		v := lookup(t, goarch, name)
		return v.Apply(machine(t, goarch)).Command(v.Options(qemu.Options{Kernel: "k", Initrd: "i"}))
	}
	arg := func(argv []string, flag string) string {
		i := slices.Index(argv, flag)
		if i < 0 || i+1 >= len(argv) {
			return ""
		}
		return argv[i+1]
	}

	// arm64 nVHE: the same machine, kvm-arm.mode=nvhe on the command line.
	def, nvhe := cmd("arm64", ""), cmd("arm64", "nvhe")
	if arg(nvhe, "-append") != arg(def, "-append")+" kvm-arm.mode=nvhe" || arg(nvhe, "-M") != arg(def, "-M") || arg(nvhe, "-cpu") != arg(def, "-cpu") {
		t.Errorf("arm64 nvhe: %q", nvhe)
	}

	// ppc64le PR: pseries without cap-nested-hv (so kvm_hv cannot come
	// up and nothing emulates an HV-capable guest), the rest unchanged.
	def, pr := cmd("ppc64le", ""), cmd("ppc64le", "pr")
	if !strings.Contains(arg(def, "-M"), "cap-nested-hv=on") {
		t.Fatalf("ppc64le default machine %q", arg(def, "-M"))
	}
	if want := strings.Replace(arg(def, "-M"), "cap-nested-hv=on,", "", 1); arg(pr, "-M") != want {
		t.Errorf("ppc64le pr machine %q, want %q", arg(pr, "-M"), want)
	}
	// kvm_pr refuses a radix host (kvmppc_core_check_processor_compat_pr),
	// so the guest kernel boots with the hash MMU.
	if arg(pr, "-append") != arg(def, "-append")+" disable_radix" || arg(pr, "-cpu") != "power9" || arg(pr, "-m") != arg(def, "-m") {
		t.Errorf("ppc64le pr: %q", pr)
	}
	v := lookup(t, "ppc64le", "pr")
	if !slices.Equal(v.Modules, []string{"kvm_pr"}) {
		t.Errorf("ppc64le pr modules %v", v.Modules)
	}
	// No Debian kernel has kvm-pr.ko; a kernel image file may.
	if !strings.Contains(v.UnavailableFor("debian:trixie"), "CONTEXT_TRACKING_USER") || v.UnavailableFor("/tmp/vmlinux") != "" {
		t.Errorf("ppc64le pr availability: %q, %q", v.UnavailableFor("debian:trixie"), v.UnavailableFor("/tmp/vmlinux"))
	}

	// powernv: the bare-metal POWER9 with skiboot, same command line.
	def, pnv := cmd("ppc64le", ""), cmd("ppc64le", "powernv")
	if arg(pnv, "-M") != "powernv9" || arg(pnv, "-cpu") != "power9" || arg(pnv, "-m") != "2G" || arg(pnv, "-append") != arg(def, "-append") {
		t.Errorf("ppc64le powernv: %q", pnv)
	}
	if m := lookup(t, "ppc64le", "powernv").Apply(machine(t, "ppc64le")); m.Firmware != Skiboot || m.FirmwarePackage != "qemu-system-data" {
		t.Errorf("powernv firmware %q (%q)", m.Firmware, m.FirmwarePackage)
	}

	// The defaults change nothing.
	for _, a := range target.All() {
		m := machine(t, a.GOARCH)
		o := qemu.Options{Kernel: "k", Initrd: "i"}
		v := lookup(t, a.GOARCH, "")
		if !slices.Equal(v.Apply(m).Command(v.Options(o)), m.Command(o)) || v.Modules != nil {
			t.Errorf("%s default variant changes the boot", a.GOARCH)
		}
	}
}

func TestDetectMode(t *testing.T) {
	for _, c := range []struct {
		goarch, dmesg string
		modules       []string
		want          string
	}{
		{"arm64", "<6>[    1.234567] kvm [1]: IPA Size Limit: 44 bits\n<6>[    1.3] kvm [1]: VHE mode initialized successfully\n", nil, "vhe"},
		{"arm64", "[    2.000000] kvm [1]: Hyp mode initialized successfully\r\n", nil, "nvhe"},       // 6.1
		{"arm64", "<6>[    2.000000] kvm [1]: Hyp nVHE mode initialized successfully\n", nil, "nvhe"}, // 6.12
		{"arm64", "<6>[    2.000000] kvm [1]: Protected nVHE mode initialized successfully\n", nil, "protected"},
		{"arm64", "<6>[    2.000000] kvm [1]: Hyp hVHE mode initialized successfully\n", nil, "hvhe"},
		{"arm64", "<3>[    0.1] kvm [1]: error initializing Hyp mode: -22\n", nil, ""},
		{"ppc64le", "", []string{"kvm", "kvm_pr"}, "pr"},
		{"ppc64le", "", []string{"kvm_hv", "kvm"}, "hv"},
		{"amd64", "", []string{"kvm_amd", "kvm"}, "svm"},
		{"riscv64", "<6>[    0.5] kvm [1]: hypervisor extension available\n", []string{"kvm"}, "h"},
		{"riscv64", "", []string{"kvm"}, ""},
	} {
		got := DetectMode(c.goarch, []byte(c.dmesg), c.modules)
		if got.Name != c.want {
			t.Errorf("%s %q %v: mode %+v, want %q", c.goarch, c.dmesg, c.modules, got, c.want)
		}
		if got.Name != "" && (got.Line == "" || strings.HasPrefix(got.Line, "<") || strings.HasPrefix(got.Line, "[") || strings.ContainsAny(got.Line, "\r\n")) {
			t.Errorf("%s: line %q", c.goarch, got.Line)
		}
	}
}

func TestCheckMode(t *testing.T) {
	nvhe := lookup(t, "arm64", "nvhe")
	if err := nvhe.CheckMode(Mode{Name: "nvhe"}); err != nil {
		t.Error(err)
	}
	err := nvhe.CheckMode(Mode{Name: "vhe", Line: "kvm [1]: VHE mode initialized successfully"})
	if err == nil || !strings.Contains(err.Error(), "wants KVM mode nvhe, but the guest ran vhe (kvm [1]: VHE mode initialized successfully)") {
		t.Errorf("vhe for nvhe: %v", err)
	}
	if err := nvhe.CheckMode(Mode{}); err == nil {
		t.Error("no mode accepted")
	}
	if err := lookup(t, "arm64", "").CheckMode(Mode{Name: "vhe"}); err != nil {
		t.Error(err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
