package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	bookwormRow = "../../reports/testdata/amd64-debian-bookworm"
	trixieRow   = "../../reports/testdata/amd64-debian-trixie"
)

func TestCompareCommand(t *testing.T) {
	code, out, errs := runCmd("compare", bookwormRow, trixieRow)
	if code != 1 || errs != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}
	for _, want := range []string{
		"regressions: passed in the base, failed in the candidate (2):\n",
		"[IE-6] kvm_valid_regs bit 63: passed -> expected failure (kernel bug: ",
		"[IE-6] kvm_dirty_regs bit 63: passed -> expected failure (kernel bug: ",
		"verdict: REGRESSED\n2 regressions, 0 fixes, 0 new skips, 0 new failures, 0 added, 0 removed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("compare lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ := runCmd("compare", trixieRow, bookwormRow); code != 0 || !strings.Contains(out, "FIXED") || !strings.HasSuffix(out, "0 regressions, 2 fixes, 0 new skips, 0 new failures, 0 added, 0 removed\n") {
		t.Errorf("6.12 -> 6.1: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{bookwormRow}, "want BASE and CAND, got 1 directories"},
		{[]string{bookwormRow, "/nonexistent"}, "stat /nonexistent: no such file or directory"},
		{[]string{"--expect", "/nonexistent.yaml", bookwormRow, trixieRow}, "/nonexistent.yaml does not exist"},
	} {
		code, _, errs := runCmd(append([]string{"compare"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSuffix(errs, "\n"), "\n") != 0 {
			t.Errorf("compare %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestReportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	// A directory of rows stands for each of them.
	code, stdout, errs := runCmd("report", "--out", out, "../../reports/testdata")
	if code != 0 || errs != "" || !strings.Contains(stdout, "amd64 debian:trixie") || !strings.Contains(stdout, "2 runs, ") {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, stdout)
	}
	for _, f := range []string{"report.html", "ktap.txt", "summary.md"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !strings.Contains(string(md), "## Specs whose outcome differs between runs (2)") {
		t.Errorf("summary.md:\n%s", md)
	}
	if code, _, errs := runCmd("report"); code != 2 || !strings.Contains(errs, "no run directory") {
		t.Errorf("no directory: exit %d %q", code, errs)
	}
	if code, _, errs := runCmd("report", t.TempDir()); code != 2 || !strings.Contains(errs, "no report.json or metadata.json") {
		t.Errorf("an empty directory: exit %d %q", code, errs)
	}
}
