package expectations

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func TestShippedParses(t *testing.T) {
	list, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("the shipped list is empty")
	}
	for _, e := range list {
		if e.File != ShippedFile || e.Line == 0 {
			t.Errorf("%s: read from %s", e.ID, e.Where())
		}
		if s := summary(e.Reason); len(s) < 20 || strings.HasSuffix(s, "...") {
			t.Errorf("%s (%s): the reason's first sentence should be a short summary line, got %q", e.ID, e.Where(), s)
		}
	}
}

// TestShippedIDsAreSpecLabels keeps the shipped list's IDs in step with the
// suites: every ID is a label some spec carries (Label("CMP-2"), or the
// spec line of an architecture's completion, arch/*/facts.go Spec, which
// the MMIO completion spec takes as its label).
func TestShippedIDsAreSpecLabels(t *testing.T) {
	list, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	files, _ := filepath.Glob("../suites/*/*.go")
	if len(files) == 0 {
		t.Skip("no suite sources beside the package")
	}
	facts, _ := filepath.Glob("../arch/*/facts.go")
	files = append(files, facts...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(data)
	}
	for _, e := range list {
		if !strings.Contains(src.String(), `"`+e.ID+`"`) {
			t.Errorf("%s: no spec in suites/ carries the label %q", e.Where(), e.ID)
		}
	}
}

func TestParse(t *testing.T) {
	list, err := Parse("good.yaml", []byte(`
# a comment
- id: CMP-2
  case: outb
  arch: amd64
  module: kvm_pvm
  kind: kernel bug
  reason: The first sentence. More.
  since: 6.10
  fixed_in: "6.19"
- id: MP-X13
  case: ["a*", "b?"]
  arch: arm64
  kernel: "6.12.*"
  kind: platform limitation
  reason: |
    Multi-line
    reason.
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("got %d entries", len(list))
	}
	a, b := list[0], list[1]
	if a.ID != "CMP-2" || !slices.Equal(a.Case, Globs{"outb"}) || a.Arch != "amd64" || a.Kernel != "*" || a.Module != "kvm_pvm" ||
		a.Kind != KernelBug || a.Since != "6.10" || a.FixedIn != "6.19" || a.Where() != "good.yaml:3" {
		t.Errorf("first entry %+v", a)
	}
	if !slices.Equal(b.Case, Globs{"a*", "b?"}) || b.Kernel != "6.12.*" || b.Reason != "Multi-line\nreason." || b.Line != 11 {
		t.Errorf("second entry %+v", b)
	}
	for _, empty := range []string{"", "# nothing yet\n", "[]", "~"} {
		if l, err := Parse("empty.yaml", []byte(empty)); err != nil || len(l) != 0 {
			t.Errorf("Parse(%q) = %v, %v", empty, l, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const ok = "  arch: amd64\n  kind: kernel bug\n  reason: r\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"not a list", "id: CMP-2\n", "bad.yaml:1: want a list of entries"},
		{"not a mapping", "- CMP-2\n", "bad.yaml:1: entry 1: want a mapping"},
		{"unknown field", "- id: CMP-2\n" + ok + "  kernal: 6.1\n", `bad.yaml:1: entry 1 (CMP-2): line 5: unknown field "kernal"`},
		{"missing id", "- arch: amd64\n  kind: kernel bug\n  reason: r\n", "entry 1: missing id"},
		{"bad id", "- id: cmp-2\n" + ok, `id "cmp-2" is not a spec line`},
		{"missing arch", "- id: CMP-2\n  kind: kernel bug\n  reason: r\n", "entry 1 (CMP-2): missing arch"},
		{"uname arch", "- id: CMP-2\n  arch: x86_64\n  kind: kernel bug\n  reason: r\n", `arch "x86_64" is not a GOARCH`},
		{"missing kind", "- id: CMP-2\n  arch: amd64\n  reason: r\n", "missing kind"},
		{"bad kind", "- id: CMP-2\n  arch: amd64\n  kind: bug\n  reason: r\n", `kind "bug" is not one of "kernel bug"`},
		{"missing reason", "- id: CMP-2\n  arch: amd64\n  kind: kernel bug\n", "missing reason"},
		{"blank reason", "- id: CMP-2\n  arch: amd64\n  kind: kernel bug\n  reason: '  '\n", "missing reason"},
		{"bad kernel glob", "- id: CMP-2\n" + ok + "  kernel: '6.[12'\n", `kernel "6.[12": not a valid glob`},
		{"bad case glob", "- id: CMP-2\n" + ok + "  case: ['ok', 'x[']\n", `case "x[": not a valid glob`},
		{"empty case", "- id: CMP-2\n" + ok + "  case: ''\n", "case: an empty glob"},
		{"case mapping", "- id: CMP-2\n" + ok + "  case: {a: b}\n", "case: want a glob or a list of globs"},
		{"list as arch", "- id: CMP-2\n  arch: [amd64]\n  kind: kernel bug\n  reason: r\n", "arch: want a single value"},
		{"bad module", "- id: CMP-2\n" + ok + "  module: pvm\n", `module "pvm" is not a KVM module name`},
		{"duplicate field", "- id: CMP-2\n" + ok + "  arch: arm64\n", `"arch" already defined`},
		{"second entry", "- id: CMP-2\n" + ok + "- id: CMP-3\n  arch: amd64\n", "bad.yaml:5: entry 2 (CMP-3): missing kind"},
		{"bare star", "- id: CMP-2\n" + ok + "  kernel: *\n", "bad.yaml:"},
	} {
		_, err := Parse("bad.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want it to contain %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error on several lines: %q", tc.name, err)
		}
	}
}

func TestLoad(t *testing.T) {
	shipped, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	list, err := Load("testdata/pvm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(shipped)+4 || list[len(list)-1].Where() != "testdata/pvm.yaml:22" {
		t.Fatalf("Load: %d entries, last %s", len(list), list[len(list)-1].Where())
	}
	if _, err := Load("testdata/missing.yaml"); err == nil || !strings.Contains(err.Error(), "testdata/missing.yaml does not exist") {
		t.Fatalf("a missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("- id: CMP-2\n"), 0o644)
	if _, err := Load(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":1: entry 1 (CMP-2): missing arch") {
		t.Fatalf("a bad file: %v", err)
	}
}

func it(leaf string, labels ...string) SpecInfo {
	return Describe(types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: leaf, LeafNodeLabels: labels})
}

func TestMatch(t *testing.T) {
	list, err := Parse("m.yaml", []byte(`
- {id: CMP-2, case: [outb, "out?"], arch: amd64, module: kvm_pvm, kind: kernel bug, reason: r}
- {id: CMP-10, case: "mmio-load-lb:*", arch: riscv64, kind: kernel bug, reason: r}
- {id: IE-6, case: "kvm_*_regs bit 63", arch: amd64, kernel: "6.12.*", kind: kernel bug, reason: r}
- {id: CMP-3, arch: amd64, kind: kernel bug, reason: r}
- {id: CMP-1, case: "port I*", arch: amd64, kind: kernel bug, reason: r}
`))
	if err != nil {
		t.Fatal(err)
	}
	pvm := Host{GOARCH: "amd64", Kernel: "6.18.44-fc-v657", Modules: []string{"kvm", "kvm_pvm"}}
	amd := Host{GOARCH: "amd64", Kernel: "6.12.57+deb13-amd64", Modules: []string{"kvm", "kvm_amd"}}
	rv := Host{GOARCH: "riscv64", Kernel: "6.12.57+deb13-riscv64", Modules: []string{"kvm"}}
	for _, tc := range []struct {
		e    int
		h    Host
		want bool
	}{
		{0, pvm, true}, {0, amd, false}, // module
		{1, rv, true}, {1, amd, false}, // arch
		{2, amd, true}, {2, pvm, false}, // kernel glob
		{2, Host{GOARCH: "amd64", Kernel: "6.1.0-40-amd64"}, false},
		{3, pvm, true}, {3, Host{}, false},
	} {
		if got := list[tc.e].MatchesHost(tc.h); got != tc.want {
			t.Errorf("%s MatchesHost(%v) = %v", list[tc.e].String(), tc.h, got)
		}
	}
	for _, tc := range []struct {
		e    int
		s    SpecInfo
		want bool
	}{
		{0, it("outb", "CMP-2"), true},
		{0, it("outw", "CMP-2"), true},
		{0, it("inb", "CMP-1", "CMP-2"), false}, // case
		{0, it("outb", "CMP-4"), false},         // id
		{1, it("mmio-load-lb: 1-byte sign-extending load into a1", "CMP-10", "CMP-13"), true},
		{1, it("mmio-load-lbu: 1-byte zero-extending load into a1", "CMP-10"), false},
		{2, it("kvm_dirty_regs bit 63", "IE-6"), true},
		{2, it("kvm_dirty_regs bit 3", "IE-6"), false},
		{3, it("drops a PIO IN completion when userspace moved RIP [CMP-3]"), true}, // id in the text, no label
		{3, it("drops a PIO IN completion [CMP-30]"), false},
		{4, it("port I/O completes", "CMP-1"), true}, // * matches "/"
	} {
		if got := list[tc.e].MatchesSpec(tc.s); got != tc.want {
			t.Errorf("%s MatchesSpec(%+v) = %v", list[tc.e].String(), tc.s, got)
		}
	}
	// Container labels count, other labels are not IDs.
	s := Describe(types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "x [CMP-4, Linux 4.11]",
		ContainerHierarchyLabels: [][]string{{"completion", "x86", "CMP-13"}}, LeafNodeLabels: []string{"IE-6"}})
	if !slices.Equal(s.IDs, []string{"CMP-13", "IE-6", "CMP-4"}) {
		t.Errorf("IDs %q", s.IDs)
	}
	if !regexp.MustCompile(`^CMP-2 \["outb" "out\?"\] on amd64, kernel \*, module kvm_pvm$`).MatchString(list[0].String()) {
		t.Errorf("String %q", list[0].String())
	}
}
