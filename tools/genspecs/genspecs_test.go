package main

import (
	"os"
	"slices"
	"testing"
)

// TestDocIsCurrent regenerates docs/specs.md from the spec tree of every
// architecture family and fails if the committed file differs. It skips,
// with the reason, where qemu-user-static is not installed (scripts/deps
// installs it) or with -short.
func TestDocIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not cross-building kvmconform for every architecture")
	}
	g := &Generator{Root: "../..", Logf: t.Logf}
	doc, err := g.Generate()
	if len(g.Missing) > 0 {
		t.Skipf("cannot list the other architectures' specs: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile("../../" + DocFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(old) != string(doc) {
		t.Fatalf("%s is stale: run go run ./tools/genspecs", DocFile)
	}
}

func TestSources(t *testing.T) {
	for _, tc := range []struct {
		comment string
		want    []string
	}{
		{"kvm_psci_vcpu_on (arch/arm64/kvm/psci.c) checks the target", []string{"arch/arm64/kvm/psci.c kvm_psci_vcpu_on"}},
		{"arch/x86/kvm/x86.c kvm_arch_vcpu_ioctl_run masks the fields; see virt/kvm/kvm_main.c.", []string{"arch/x86/kvm/x86.c kvm_arch_vcpu_ioctl_run", "virt/kvm/kvm_main.c"}},
		{"each arch's kvm_vm_ioctl_check_extension switch; kvm_run and kvm_pvm are not functions", []string{"kvm_vm_ioctl_check_extension"}},
		{"no source here", nil},
	} {
		if got := sources(tc.comment); !slices.Equal(got, tc.want) {
			t.Errorf("sources(%q) = %q, want %q", tc.comment, got, tc.want)
		}
	}
}

func TestSince(t *testing.T) {
	for _, tc := range []struct{ title, comment, want string }{
		{"reports it [CAP-1, Linux 4.11]", "(Linux 4.12)", "4.11"},
		{"", "blocks as HALTED. [3.10 or earlier]", "3.10"},
		{"", "x86 since 2.6.26).", "2.6.26"},
		{"", "the fix landed (6.14; stable)", "6.14"},
		{"", "returns EINVAL (always)", "always"},
		{"", "nothing", ""},
	} {
		if got := since(tc.title, tc.comment); got != tc.want {
			t.Errorf("since(%q, %q) = %q, want %q", tc.title, tc.comment, got, tc.want)
		}
	}
}

func TestBodyAndRequiredArchs(t *testing.T) {
	g := &Generator{sources: map[string][]string{"x.go": {
		`	It("does it", func() {`,
		`		s := "}{" + ` + "`}`" + ` // } in a comment`,
		`		harness.RequireArch("arm64", "riscv64")`,
		`	})`,
		`	It("other", func() { harness.RequireArch("x86") })`,
	}}}
	if got := g.requiredArchs("x.go", 1); !slices.Equal(got, []string{"arm64", "riscv64"}) {
		t.Errorf("requiredArchs = %q (body %q)", got, g.body("x.go", 1))
	}
	if got := g.requiredArchs("x.go", 5); !slices.Equal(got, []string{"x86"}) {
		t.Errorf("second It: %q", got)
	}
}
