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

	"github.com/kvmconform/kvmconform/expectations"
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
		{Arch: "arm64", Kernel: "debian:trixie", Err: errors.Join(errors.New("kernel panic: Attempted to kill init!"), errors.New("output directory: not a directory")), Wall: 3 * time.Second},
		{Arch: "s390x", Note: "no emulation path for KVM under QEMU; cross-built and vetted only", Wall: time.Second},
	}
	var b strings.Builder
	if err := Table(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("table:\n%s", out)
	}
	if !regexp.MustCompile(`^ARCH\s+KERNEL\s+PASSED\s+FAILED\s+EXPECTED\s+SKIPPED\s+WALL\s+NOTE$`).MatchString(lines[0]) {
		t.Errorf("header: %q", lines[0])
	}
	if !regexp.MustCompile(`^amd64\s+debian:bookworm\s+30\s+1\s+0\s+2\s+10\.3s`).MatchString(lines[1]) {
		t.Errorf("row: %q", lines[1])
	}
	// Joined errors are all shown, on the row's line.
	if !strings.Contains(lines[2], "ERROR: kernel panic: Attempted to kill init!; output directory: not a directory") {
		t.Errorf("error row: %q", lines[2])
	}
	if !strings.Contains(lines[3], "no emulation path for KVM under QEMU; cross-built and vetted only") {
		t.Errorf("cross row: %q", lines[3])
	}
	if lines[4] != "0 expected failures (listed in the expectations; they fail in the reports, not the run)" {
		t.Errorf("expected line %q", lines[4])
	}
	// The last line is the plain closing line CI runners read; an error
	// row counts as one failure.
	if last := lines[5]; !closing.MatchString(last) || last != "30 passed, 2 failed, 2 skipped" {
		t.Errorf("closing line %q", last)
	}
}

// closing is the closing line CI runners recognise.
var closing = regexp.MustCompile(`^\d+ passed, \d+ failed(, \d+ skipped)?$`)

// TestTableExpectations: the expectations' lines come after the table, one
// per expectation for all the rows it covered, and the expected count has
// its own line before the closing line.
func TestTableExpectations(t *testing.T) {
	list, err := expectations.Parse("e.yaml", []byte(`
- {id: CMP-8, case: "mmio-load-ldrs*", arch: arm64, kind: unexplained, reason: Zero-extended under TCG. More.}
- {id: IE-6, case: "kvm_*_regs bit 63", arch: amd64, kernel: "6.12.*", kind: kernel bug, reason: Bits 32-63 accepted.}
`))
	if err != nil {
		t.Fatal(err)
	}
	suite := func(state types.SpecState, labels []string, leaves ...string) []types.Report {
		r := types.Report{SuitePath: "immediateexit", SuiteSucceeded: state != types.SpecStateFailed}
		for _, l := range leaves {
			r.SpecReports = append(r.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: l, LeafNodeLabels: labels, State: state})
		}
		return []types.Report{r}
	}
	row := func(arch, kernel, release string, reports []types.Report) Row {
		res := expectations.Apply(reports, list, expectations.Options{Host: &expectations.Host{GOARCH: arch, Kernel: release}, Suites: []string{"immediateexit"}})
		return Row{Arch: arch, Kernel: kernel, Counts: CountsOf(res.Counts), Expect: res}
	}
	signed := []string{"mmio-load-ldrsb-w: 1-byte sign-extending load into x1", "mmio-load-ldrsw: 4-byte sign-extending load into x1"}
	rows := []Row{
		row("arm64", "debian:bookworm", "6.1.0-40-arm64", suite(types.SpecStateFailed, []string{"CMP-8"}, signed...)),
		row("arm64", "debian:trixie", "6.12.57+deb13-arm64", suite(types.SpecStateFailed, []string{"CMP-8"}, signed...)),
		row("amd64", "debian:trixie", "6.12.57+deb13-amd64", suite(types.SpecStatePassed, []string{"IE-6"}, "kvm_valid_regs bit 63")),
		row("amd64", "debian:bookworm", "6.1.0-40-amd64", suite(types.SpecStatePassed, []string{"IE-6"}, "kvm_valid_regs bit 63")),
	}
	var b strings.Builder
	if err := Table(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := `expected failures (4 specs by 1 expectation; they fail in the reports, not the verdict):
  EXPECTED CMP-8 mmio-load-ldrsb-w, mmio-load-ldrsw on arm64 debian:bookworm, arm64 debian:trixie (4 specs) [unexplained; arm64]: Zero-extended under TCG. (e.yaml:2)
fixed? (these specs passed though an expectation says they fail; drop or narrow it):
  FIXED? IE-6 kvm_valid_regs bit 63 on amd64 debian:trixie (1 spec) [kernel bug; amd64 kernel 6.12.*]: Bits 32-63 accepted. (e.yaml:3)
4 expected failures (listed in the expectations; they fail in the reports, not the run)
2 passed, 0 failed, 0 skipped
`
	if !strings.HasSuffix(out, want) {
		t.Errorf("got:\n%s\nwant it to end with:\n%s", out, want)
	}
	if !regexp.MustCompile(`(?m)^arm64\s+debian:bookworm\s+0\s+0\s+2\s+0\s`).MatchString(out) {
		t.Errorf("arm64 row:\n%s", out)
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
