package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The native run on a kvm_pvm host and the test expectations that cover its
// six failures (see expectations/testdata/README.md).
const (
	report   = "../../expectations/testdata/native-kvm_pvm.json"
	pvm      = "../../expectations/testdata/pvm.yaml"
	suites   = "suites/abi,suites/immediateexit,suites/kick,suites/mpstate"
	closeOK  = "72 passed, 0 failed, 6 expected, 15 skipped\n"
	closeBad = "72 passed, 3 failed, 3 expected, 15 skipped\n" // the shipped list explains three; CMP-2 was a harness bug
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestVerdictOK(t *testing.T) {
	sum := filepath.Join(t.TempDir(), "summary.txt")
	code, out, errs := runCmd("verdict", "--expect", pvm, "--suites", suites, "--summary", sum, report)
	if code != 0 || errs != "" || !strings.HasSuffix(out, "verdict: OK (every failure is expected and every suite reported)\n"+closeOK) {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	if n := strings.Count(out, "  EXPECTED "); n != 4 {
		t.Errorf("%d EXPECTED lines, want one per expectation (4):\n%s", n, out)
	}
	if data, err := os.ReadFile(sum); err != nil || string(data) != out {
		t.Errorf("--summary file: %v\n%s", err, data)
	}
	// Flags may follow the report.
	if code, _, errs := runCmd("verdict", report, "--expect", pvm); code != 0 {
		t.Errorf("flags after the report: exit %d, %s", code, errs)
	}
}

func TestVerdictNotOK(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.json")
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unexpected failures", []string{"--suites", suites, report}, "verdict: NOT OK (3 unexpected failures)\n" + closeBad},
		{"suite missing", []string{"--expect", pvm, "--suites", suites + ",suites/nested", report},
			"suite suites/nested did not report: absent from the report"},
		{"no report", []string{"--expect", pvm, "--suites", suites, filepath.Join(dir, "report.json")},
			"no report: " + filepath.Join(dir, "report.json") + " does not exist (ginkgo crashed or was killed before writing it?)"},
		{"truncated report", []string{truncated}, "is not a Ginkgo JSON report (truncated?)"},
	} {
		code, out, errs := runCmd(append([]string{"verdict"}, tc.args...)...)
		if code != 1 || errs != "" || !strings.Contains(out, tc.want) || !strings.Contains(out, "verdict: NOT OK") {
			t.Errorf("%s: exit %d, stderr %q, stdout:\n%s\nwant exit 1 and %q", tc.name, code, errs, out, tc.want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("- id: CMP-2\n  arch: amd64\n  kind: bug\n  reason: r\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: kvmconform <command>"},
		{[]string{"judge"}, `kvmconform: unknown command "judge" (want run, bundle, report, compare, specs, verdict)`},
		{[]string{"verdict"}, "kvmconform verdict: missing REPORT.json"},
		{[]string{"verdict", report, report}, "one REPORT.json, not 2"},
		{[]string{"verdict", "--bogus", report}, "flag provided but not defined: -bogus"},
		{[]string{"verdict", "--suites", "a,,b", report}, `invalid value "a,,b" for flag -suites: empty value`},
		{[]string{"verdict", "--expect", filepath.Join(dir, "waivers.yaml"), report}, "waivers.yaml does not exist"},
		{[]string{"verdict", "--expect", bad, report}, bad + `:1: entry 1 (CMP-2): kind "bug" is not one of`},
		{[]string{"verdict", dir}, "report: read " + dir + ": is a directory"},
		{[]string{"verdict", "--summary", filepath.Join(dir, "no", "such", "dir"), "--expect", pvm, report}, "--summary: open"},
	} {
		code, _, errs := runCmd(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
		if tc.args != nil && strings.Count(strings.TrimSuffix(errs, "\n"), "\n") != 0 {
			t.Errorf("%q: stderr is not one line: %q", tc.args, errs)
		}
	}
	if code, out, _ := runCmd("help"); code != 0 || !strings.Contains(out, "verdict") {
		t.Errorf("help: exit %d, %q", code, out)
	}
	if code, _, errs := runCmd("verdict", "-h"); code != 0 || !strings.Contains(errs, "-expect") {
		t.Errorf("verdict -h: exit %d, %q", code, errs)
	}
}

// TestVerdictDefaultSuites: without --suites the verdict requires every
// suites/<area> below the working directory, so a suite that never ran is
// not OK. The report (a real run from before suites/nested existed) has
// four areas; a module with exactly those is OK, one with a fifth is not.
func TestVerdictDefaultSuites(t *testing.T) {
	dirs := suiteDirs("../../suites")
	if len(dirs) < 4 {
		t.Fatalf("suite directories %v", dirs)
	}
	wd, _ := os.Getwd()
	report, _ := filepath.Abs(report)
	pvm, _ := filepath.Abs(pvm)
	defer os.Chdir(wd)
	dir := t.TempDir()
	for _, d := range []string{"abi", "immediateexit", "kick", "mpstate"} {
		os.MkdirAll(filepath.Join(dir, "suites", d), 0o755)
		os.WriteFile(filepath.Join(dir, "suites", d, d+"_suite_test.go"), []byte("package x\n"), 0o644)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCmd("verdict", "--expect", pvm, report); code != 0 {
		t.Fatalf("the four suites of the report: exit %d %s\n%s", code, errs, out)
	}
	os.MkdirAll(filepath.Join(dir, "suites", "nested"), 0o755)
	os.WriteFile(filepath.Join(dir, "suites", "nested", "nested_suite_test.go"), []byte("package nested_test\n"), 0o644)
	code, out, _ := runCmd("verdict", "--expect", pvm, report)
	if code != 1 || !strings.Contains(out, "suite suites/nested did not report") {
		t.Fatalf("a suite directory absent from the report: exit %d\n%s", code, out)
	}
}
