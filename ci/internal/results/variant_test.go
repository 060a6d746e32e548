package results

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestVariantRows: a variant's row is named arch-variant in the table and
// in the summary lines; an unavailable one shows its note.
func TestVariantRows(t *testing.T) {
	rows := []Row{
		{Arch: "arm64", Kernel: "debian:trixie", Counts: Counts{Passed: 3}, Wall: time.Second},
		{Arch: "arm64", Kernel: "debian:trixie", Variant: "nvhe", Counts: Counts{Passed: 2, Skipped: 1}, Wall: time.Second},
		{Arch: "amd64", Variant: "intel", Note: "kvm_intel not run: no VMX"},
	}
	if rows[1].Label() != "arm64-nvhe debian:trixie" || rows[2].Label() != "amd64-intel" || rows[0].ArchName() != "arm64" {
		t.Errorf("labels %q %q %q", rows[0].ArchName(), rows[1].Label(), rows[2].Label())
	}
	var b bytes.Buffer
	if err := Table(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	for i, want := range []string{
		`^arm64 +debian:trixie +3 +0 +0 +0 +1\.0s`,
		`^arm64-nvhe +debian:trixie +2 +0 +0 +1 +1\.0s`,
		`^amd64-intel +- +- +- +- +- +- +kvm_intel not run: no VMX$`,
	} {
		if !regexp.MustCompile(want).MatchString(strings.TrimRight(lines[i+1], " ")) {
			t.Errorf("line %d %q, want %s", i+1, lines[i+1], want)
		}
	}
}
