package gobuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSuiteName(t *testing.T) {
	root := "/m/suites"
	for _, c := range []struct{ dir, pkg, want string }{
		{"/m/suites/abi", "x/suites/abi", "abi"},
		{"/m/suites/vcpu/kicks", "x/suites/vcpu/kicks", "vcpu-kicks"},
		{"/elsewhere/foo", "x/elsewhere/foo", "foo"},
		{"/m/suites", "x/suites", "suites"},
	} {
		if got := SuiteName(root, c.dir, c.pkg); got != c.want {
			t.Errorf("SuiteName(%q) = %q, want %q", c.dir, got, c.want)
		}
	}
}

func TestSummary(t *testing.T) {
	out := "# github.com/x/kvm\nkvm/a.go:1: undefined: x\nkvm/a.go:2: undefined: y\n\nkvm/a.go:3: undefined: z\nkvm/a.go:4: too many errors\n"
	got := Summary(out, 3)
	if got != "kvm/a.go:1: undefined: x | kvm/a.go:2: undefined: y | kvm/a.go:3: undefined: z (+1 more lines)" {
		t.Fatalf("Summary = %q", got)
	}
	if strings.Contains(got, "\n") || Summary("", 3) != "(no output)" {
		t.Fatal("not one line")
	}
}

// TestCrossBuild lists the suites of a throwaway module and builds its
// conformance command for every GOARCH the runner handles.
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	mod := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(mod, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.22\n")
	write("suites/one/one_test.go", "package one\n\nimport \"testing\"\n\nfunc TestOne(t *testing.T) {}\n")
	write("suites/two/deep/two_test.go", "package deep\n\nimport \"testing\"\n\nfunc TestTwo(t *testing.T) {}\n")
	write("suites/notests/x.go", "package notests\n")
	write("suites/internal/helper/helper_test.go", "package helper\n\nimport \"testing\"\n\nfunc TestHelper(t *testing.T) {}\n")
	write("cmd/kvmconform/main.go", "package main\n\nimport _ \"example.com/m/suites/one\"\n\nfunc main() {}\n")
	write("suites/one/one.go", "package one\n")
	b := &Builder{Dir: mod, Out: t.TempDir()}
	for _, goarch := range []string{"amd64", "arm64", "ppc64le", "riscv64", "s390x", "mips64le"} {
		suites, err := b.List(t.Context(), goarch)
		if err != nil {
			t.Fatal(err)
		}
		if len(suites) != 2 || suites[0].Name != "one" || suites[1].Name != "two-deep" {
			t.Fatalf("%s: suites %+v", goarch, suites)
		}
		bin, err := b.Conform(t.Context(), goarch)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(bin); err != nil || filepath.Base(bin) != ConformName || st.Mode()&0o111 == 0 {
			t.Fatalf("%s: %v %v", goarch, bin, err)
		}
	}
	if err := b.Vet(t.Context(), "s390x"); err != nil {
		t.Fatal(err)
	}
	write("suites/one/broken.go", "package one\n\nfunc broken() { undefined() }\n")
	_, err := b.Conform(t.Context(), "amd64")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "undefined: undefined") {
		t.Fatalf("broken build: %v", err)
	}
	empty := &Builder{Dir: mod, Pattern: "./suites/notests/...", Out: t.TempDir()}
	if _, err := empty.List(t.Context(), "amd64"); err == nil || !strings.Contains(err.Error(), "no packages with tests") {
		t.Fatalf("no tests: %v", err)
	}
}
