//go:build linux && amd64

package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDoc = flag.Bool("update", false, "rewrite docs/completions.md instead of failing when it is stale")

// docPath is docs/completions.md of the module (the test runs in
// arch/gen-completions).
var docPath = filepath.Join("..", "..", "docs", "completions.md")

// TestDocCurrent fails when the committed table differs from the facts.
func TestDocCurrent(t *testing.T) {
	if *updateDoc {
		if _, err := update(docPath); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v (run: go run ./arch/gen-completions)", err)
	}
	if got := render(doc); string(got) != string(doc) {
		t.Errorf("%s is stale: run go run ./arch/gen-completions (or go test ./arch/gen-completions -update)", docPath)
	}
}

// TestSection checks the generated section: every architecture with
// completions has rows, s390x is named as having none, and the markers
// frame it.
func TestSection(t *testing.T) {
	s := section()
	if !strings.HasPrefix(s, begin) || !strings.HasSuffix(s, end) {
		t.Fatalf("section not framed by the markers:\n%s", s)
	}
	for _, want := range []string{"| x86 | KVM\\_EXIT\\_IO read | fast PIO | dropped |", "| arm64 |", "| ppc64 |", "| mips |", "| riscv64 |", "| loong64 |",
		"No completions (so no rows) on: s390x."} {
		if !strings.Contains(s, want) {
			t.Errorf("section lacks %q", want)
		}
	}
}

// TestRender replaces only the generated section and appends one to a doc
// without markers.
func TestRender(t *testing.T) {
	doc := "intro\n" + begin + "old\n" + end + "outro\n"
	if got := string(render([]byte(doc))); got != "intro\n"+section()+"outro\n" {
		t.Errorf("render kept or lost the wrong text:\n%s", got)
	}
	if got := string(render([]byte("intro"))); got != "intro\n"+section() {
		t.Errorf("render without markers:\n%s", got)
	}
}
