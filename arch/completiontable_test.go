package arch

import (
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

func TestCompletionTable(t *testing.T) {
	src := Source{File: "arch/x86/kvm/x86.c", Function: "complete_fast_pio_in", Since: "5.1", Note: "a|b"}
	f := CompletionFacts{Exits: []Completion{{ExitReason: uapi.KVM_EXIT_IO, Access: AccessRead, Path: "fast PIO",
		OnPCChange: Dropped, OnRegChange: RegWritten, PCChangeSource: src,
		OtherPaths: []CompletionPath{{Name: "SVM", Vendor: "kvm_amd", OnPCChange: PCOverwritten, OnRegChange: RegWritten,
			Source: Source{File: "arch/x86/kvm/svm/svm.c", Function: "__svm_skip_emulated_instruction", Since: "5.10"}}}}}}
	rows := f.Rows("x86")
	if len(rows) != 2 || rows[0].Exit != "KVM_EXIT_IO read" || rows[1].path() != "SVM (kvm_amd)" {
		t.Fatalf("Rows = %+v", rows)
	}
	text := rows.String()
	for _, want := range []string{"arch  exit", "x86   KVM_EXIT_IO read  fast PIO", "dropped", "arch/x86/kvm/x86.c complete_fast_pio_in                 5.1\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text table lacks %q:\n%s", want, text)
		}
	}
	md := rows.Markdown()
	for _, want := range []string{"| x86 | KVM\\_EXIT\\_IO read | fast PIO | dropped | written over it | `arch/x86/kvm/x86.c` `complete_fast_pio_in` | 5.1 [1] |",
		"| SVM (kvm\\_amd) | PC overwritten |", "\n1. a\\|b\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if s := (CompletionTable{}).String(); s != "no completions" {
		t.Errorf("empty table: %q", s)
	}
}
