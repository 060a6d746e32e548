package results

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

func spec(text string, leaf types.NodeType, state types.SpecState) types.SpecReport {
	return types.SpecReport{LeafNodeText: text, LeafNodeType: leaf, State: state}
}

func sampleReport() []types.Report {
	return []types.Report{{
		SuitePath:        "/suites/abi",
		SuiteDescription: "ABI",
		SuiteSucceeded:   false,
		SpecReports: types.SpecReports{
			spec("", types.NodeTypeBeforeSuite, types.SpecStatePassed),
			spec("a", types.NodeTypeIt, types.SpecStatePassed),
			spec("b", types.NodeTypeIt, types.SpecStatePassed),
			spec("c", types.NodeTypeIt, types.SpecStateFailed),
			spec("d", types.NodeTypeIt, types.SpecStatePanicked),
			spec("e", types.NodeTypeIt, types.SpecStateSkipped),
			spec("f", types.NodeTypeIt, types.SpecStatePending),
			spec("g", types.NodeTypeIt, types.SpecStateTimedout),
		},
	}}
}

func TestCount(t *testing.T) {
	c := Count(sampleReport())
	if c != (Counts{Passed: 2, Failed: 3, Skipped: 2}) {
		t.Fatalf("counts = %+v", c)
	}
	// A failed BeforeSuite with every spec skipped still counts a failure.
	r := []types.Report{{SuiteSucceeded: false, SpecReports: types.SpecReports{
		spec("", types.NodeTypeBeforeSuite, types.SpecStateFailed),
		spec("a", types.NodeTypeIt, types.SpecStateSkipped),
	}}}
	if c := Count(r); c != (Counts{Failed: 1, Skipped: 1}) {
		t.Fatalf("BeforeSuite failure: %+v", c)
	}
	// A suite that failed with no failing node (e.g. --fail-on-pending).
	r = []types.Report{{SuiteSucceeded: false, SpecReports: types.SpecReports{spec("a", types.NodeTypeIt, types.SpecStatePending)}}}
	if c := Count(r); c.Failed != 1 {
		t.Fatalf("unsuccessful suite: %+v", c)
	}
}

func TestParseAndJUnit(t *testing.T) {
	data, err := json.Marshal(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	reports, err := ParseReport(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseReport([]byte("[]")); err == nil {
		t.Fatal("empty report accepted")
	}
	if _, err := ParseReport([]byte("{truncated")); err == nil {
		t.Fatal("broken report accepted")
	}
	dst := filepath.Join(t.TempDir(), "abi.junit.xml")
	if err := JUnit(reports, dst); err != nil {
		t.Fatal(err)
	}
	xml, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<testsuites`, `tests="8"`, `failures="2"`, `<testcase name="[It] a"`} {
		if !strings.Contains(string(xml), want) {
			t.Errorf("JUnit lacks %q:\n%.600s", want, xml)
		}
	}
	two := append(sampleReport(), sampleReport()...)
	dst2 := filepath.Join(t.TempDir(), "merged.xml")
	if err := JUnit(two, dst2); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(dst2 + ".part*"); len(m) != 0 {
		t.Fatalf("parts left behind: %v", m)
	}
}

func TestTable(t *testing.T) {
	rows := []Row{
		{Arch: "amd64", Kernel: "debian:bookworm", Counts: Counts{Passed: 30, Failed: 1, Skipped: 2}, Wall: 10300 * time.Millisecond},
		{Arch: "arm64", Kernel: "debian:trixie", Err: errors.New("kernel panic: Attempted to kill init!\nmore"), Wall: 3 * time.Second},
		{Arch: "s390x", Note: "no emulation path for KVM under QEMU; cross-built and vetted only", Wall: time.Second},
	}
	var b strings.Builder
	if err := Table(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("table:\n%s", out)
	}
	if !regexp.MustCompile(`^amd64\s+debian:bookworm\s+30\s+1\s+0\s+2\s+10\.3s`).MatchString(lines[1]) {
		t.Errorf("row: %q", lines[1])
	}
	if !strings.Contains(lines[2], "ERROR: kernel panic: Attempted to kill init!") || strings.Contains(lines[2], "more") {
		t.Errorf("error row: %q", lines[2])
	}
	if !strings.Contains(lines[3], "no emulation path for KVM under QEMU; cross-built and vetted only") {
		t.Errorf("cross row: %q", lines[3])
	}
	// The last line is the plain closing line CI runners read; an error
	// row counts as one failure.
	if last := lines[4]; !regexp.MustCompile(`^\d+ passed, \d+ failed(, \d+ skipped)?$`).MatchString(last) || last != "30 passed, 2 failed, 2 skipped" {
		t.Errorf("closing line %q", last)
	}
}

func TestStage(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "amd64-debian-bookworm")

	s, err := NewStage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile("console.log", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("final directory visible before Commit")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Abort() // no-op after Commit

	s, _ = NewStage(dir)
	s.WriteJSON("metadata.json", map[string]int{"x": 1})
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "console.log")); !os.IsNotExist(err) {
		t.Fatal("old result kept")
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata.json")); err != nil {
		t.Fatal(err)
	}

	s, _ = NewStage(dir)
	s.WriteFile("partial", []byte("x"))
	s.Abort()
	entries, _ := os.ReadDir(base)
	if len(entries) != 1 || entries[0].Name() != "amd64-debian-bookworm" {
		t.Fatalf("left behind: %v", entries)
	}
}
