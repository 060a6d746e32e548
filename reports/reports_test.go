package reports

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
)

var areaOrder = []string{"abi", "immediateexit", "kick", "mpstate"}

// spec is a synthetic It: "P" passed, "F" failed (msg), "S" skipped (msg).
func spec(container, leaf string, labels []string, state, msg string) types.SpecReport {
	s := types.SpecReport{ContainerHierarchyTexts: []string{container}, LeafNodeText: leaf, LeafNodeType: types.NodeTypeIt,
		LeafNodeLabels: labels, LeafNodeLocation: types.CodeLocation{FileName: "suites/x/x.go", LineNumber: 1}}
	switch state {
	case "P":
		s.State = types.SpecStatePassed
	case "F":
		s.State = types.SpecStateFailed
		s.Failure = types.Failure{Message: msg + "\nsecond line", Location: types.CodeLocation{FileName: "suites/x/x.go", LineNumber: 7}}
	case "S":
		s.State = types.SpecStateSkipped
		s.Failure = types.Failure{Message: msg}
	}
	return s
}

// suite is a synthetic area report recorded on host.
func suite(area string, host hostinfo.Info, specs ...types.SpecReport) types.Report {
	raw, _ := json.Marshal(host)
	before := types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed,
		ReportEntries: []types.ReportEntry{{Name: expectations.HostEntry, Value: types.ReportEntryValue{AsJSON: string(raw), Representation: host.String()}}}}
	r := types.Report{SuitePath: "suites/" + area, SuiteDescription: "kvmconform: " + area, SuiteSucceeded: true,
		SpecReports: append([]types.SpecReport{before}, specs...)}
	for _, s := range specs {
		if s.State.Is(types.SpecStateFailureStates) {
			r.SuiteSucceeded = false
		}
	}
	r.PreRunStats.TotalSpecs = len(specs)
	r.PreRunStats.SpecsThatWillRun = len(specs)
	return r
}

var (
	bookworm = hostinfo.Info{GOARCH: "amd64", Kernel: "6.1.0-40-amd64", Machine: "x86_64", Modules: []string{"kvm", "kvm_amd"}, Device: "/dev/kvm",
		CPUVendor: "AuthenticAMD", CPUModel: "AMD EPYC", Caps: []hostinfo.Cap{{Name: "IMMEDIATE_EXIT", Value: 1}}}
	trixie = hostinfo.Info{GOARCH: "amd64", Kernel: "6.12.57+deb13-amd64", Machine: "x86_64", Modules: []string{"kvm", "kvm_amd"}, Device: "/dev/kvm"}
)

func testList(t *testing.T) []expectations.Expectation {
	t.Helper()
	list, err := expectations.Parse("test.yaml", []byte(`
- id: IE-6
  case: "bit 63"
  arch: amd64
  kernel: "6.12.*"
  kind: kernel bug
  reason: Bit 63 slips through on 6.12. Details.
- id: CMP-3
  arch: amd64
  kind: kernel inconsistency
  reason: CMP-3 fails everywhere. Details.
`))
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// twoRuns is a base (6.1) and a candidate (6.12) with one spec of each kind
// of change.
func twoRuns(t *testing.T) (base, cand *Run) {
	list := testList(t)
	base = NewRun("base", []types.Report{
		suite("immediateexit", bookworm,
			spec("sync regs [IE-6]", "bit 63", []string{"IE-6"}, "P", ""),
			spec("sync regs [IE-6]", "bit 31", []string{"IE-6"}, "P", ""),
			spec("completion", "moved RIP [CMP-3]", []string{"CMP-3"}, "F", "CMP-3 broke"),
			spec("completion", "fixed one [CMP-4]", []string{"CMP-4"}, "F", "CMP-4 broke"),
			spec("completion", "lost cap [CMP-5]", []string{"CMP-5"}, "P", ""),
			spec("completion", "new cap [CMP-6]", []string{"CMP-6"}, "S", "capability: KVM_CAP_X"),
			spec("completion", "gone [CMP-8]", []string{"CMP-8"}, "P", ""),
			spec("completion", "plain regression [CMP-9]", []string{"CMP-9"}, "P", ""),
		),
		suite("kick", bookworm, spec("kick", "kicks [SIG-5]", []string{"SIG-5"}, "P", "")),
	}, []string{"immediateexit", "kick"}, "")
	cand = NewRun("cand", []types.Report{
		suite("immediateexit", trixie,
			spec("sync regs [IE-6]", "bit 63", []string{"IE-6"}, "F", "want EINVAL, got EINTR"),
			spec("sync regs [IE-6]", "bit 31", []string{"IE-6"}, "P", ""),
			spec("completion", "moved RIP [CMP-3]", []string{"CMP-3"}, "F", "CMP-3 broke"),
			spec("completion", "fixed one [CMP-4]", []string{"CMP-4"}, "P", ""),
			spec("completion", "lost cap [CMP-5]", []string{"CMP-5"}, "S", "capability: KVM_CAP_Y"),
			spec("completion", "new cap [CMP-6]", []string{"CMP-6"}, "F", "CMP-6 broke"),
			spec("completion", "plain regression [CMP-9]", []string{"CMP-9"}, "F", "CMP-9 broke"),
			spec("completion", "added [CMP-10]", []string{"CMP-10"}, "P", ""),
		),
	}, []string{"immediateexit", "kick"}, "")
	base.Judge(list)
	cand.Judge(list)
	return base, cand
}

func TestCompareSemantics(t *testing.T) {
	base, cand := twoRuns(t)
	c := Compare(base, cand)
	texts := func(list []Change) string {
		var s []string
		for _, ch := range list {
			s = append(s, ch.Text)
		}
		return strings.Join(s, "; ")
	}
	for _, tc := range []struct {
		name string
		got  []Change
		want string
	}{
		// Expected in the candidate (a shipped-style expectation for 6.12)
		// and passed in the base: still a regression.
		{"regressions", c.Regressions, "sync regs [IE-6] bit 63; completion plain regression [CMP-9]"},
		{"fixes", c.Fixes, "completion fixed one [CMP-4]"},
		{"new skips", c.NewSkips, "completion lost cap [CMP-5]"},
		{"new failures", c.NewFailures, "completion new cap [CMP-6]"},
		{"added", c.Added, "completion added [CMP-10]"},
		{"removed", c.Removed, "completion gone [CMP-8]"},
	} {
		if got := texts(tc.got); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if c.Regressions[0].Cand.Outcome != expectations.Expected {
		t.Errorf("IE-6 bit 63 in the candidate is %s, want expected", c.Regressions[0].Cand.Outcome)
	}
	// CMP-3 fails in both (expected in both): not a regression.
	if c.StillFailing != 1 {
		t.Errorf("still failing %d, want 1 (CMP-3)", c.StillFailing)
	}
	// The kick area did not report in the candidate: its specs are not
	// "removed", the candidate is incomplete.
	if len(c.Incomplete) != 1 || !strings.HasPrefix(c.Incomplete[0], "kick: absent") || !c.Failed() {
		t.Errorf("incomplete %q, failed %v", c.Incomplete, c.Failed())
	}
	var out strings.Builder
	if err := c.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  REGRESSION immediateexit: sync regs [IE-6] bit 63: passed -> expected failure (kernel bug: Bit 63 slips through on 6.12. (test.yaml:2)): want EINVAL, got EINTR\n",
		"  REGRESSION immediateexit: completion plain regression [CMP-9]: passed -> failed: CMP-9 broke\n",
		"  INCOMPLETE kick: absent from the report",
		"verdict: REGRESSED\n2 regressions, 1 fixes, 1 new skips, 1 new failures, 1 added, 1 removed\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("compare output lacks %q:\n%s", want, out.String())
		}
	}
	// The other way round: no regression, but base->cand fixes.
	if r := Compare(cand, cand); r.Failed() != true || len(r.Regressions) != 0 {
		t.Errorf("cand vs itself: regressions %d (the kick area is still missing: failed %v)", len(r.Regressions), r.Failed())
	}
	if r := Compare(base, base); r.Failed() || len(r.Regressions)+len(r.Fixes)+len(r.Added)+len(r.Removed) != 0 {
		t.Errorf("base vs itself: %+v", r)
	}
}

func TestKTAP(t *testing.T) {
	base, cand := twoRuns(t)
	var one strings.Builder
	if err := WriteKTAP(&one, NewMatrix([]*Run{cand}, areaOrder)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"KTAP version 1\n1..2\n# kvmconform run: cand\n# kernel: 6.12.57+deb13-amd64\n",
		"    KTAP version 1\n    # Subtest: immediateexit\n    1..8\n",
		"    # want EINVAL, got EINTR\n    # second line\n    #\n    # at suites/x/x.go:7\n    ok 1 sync regs [IE-6] bit 63 # XFAIL kernel bug: Bit 63 slips through on 6.12. (test.yaml:2)\n",
		"    ok 5 completion lost cap [CMP-5] # SKIP capability: KVM_CAP_Y\n",
		"    not ok 7 completion plain regression [CMP-9]\n",
		"not ok 1 immediateexit\n",
		"# did not report: absent from the report (crashed, killed or never run?)\nnot ok 2 kick\n",
	} {
		if !strings.Contains(one.String(), want) {
			t.Errorf("KTAP lacks %q:\n%s", want, one.String())
		}
	}
	var two strings.Builder
	if err := WriteKTAP(&two, NewMatrix([]*Run{base, cand}, areaOrder)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KTAP version 1\n1..2\n", "    KTAP version 1\n    # Subtest: base\n    1..2\n", "        ok 3 completion moved RIP [CMP-3] # XFAIL kernel inconsistency: CMP-3 fails everywhere. (test.yaml:8)\n", "not ok 2 cand\n"} {
		if !strings.Contains(two.String(), want) {
			t.Errorf("KTAP of two runs lacks %q:\n%s", want, two.String())
		}
	}
	if got := ktapName("a # b\nc"); got != "a ＃ b c" {
		t.Errorf("ktapName = %q", got)
	}
}

func TestJUnit(t *testing.T) {
	_, cand := twoRuns(t)
	var out strings.Builder
	if err := WriteJUnit(&out, cand); err != nil {
		t.Fatal(err)
	}
	var j reporters.JUnitTestSuites
	if err := xml.Unmarshal([]byte(out.String()), &j); err != nil {
		t.Fatal(err)
	}
	if len(j.TestSuites) != 2 || j.TestSuites[1].Name != "kick" || j.TestSuites[1].Errors != 1 {
		t.Fatalf("suites %+v", j.TestSuites)
	}
	ie := j.TestSuites[0]
	if ie.Properties.WithName("host.kernel") != "6.12.57+deb13-amd64" || ie.Properties.WithName("kvmconform.area") != "immediateexit" ||
		ie.Properties.WithName("host.capabilities") != "not probed" || ie.Properties.WithName("SuiteSucceeded") != "false" {
		t.Errorf("properties %+v", ie.Properties)
	}
	tc := ie.TestCases[1] // after the BeforeSuite
	if tc.Status != "expected failure" || tc.Failure == nil || !strings.HasPrefix(tc.Failure.Message, "EXPECTED (kernel bug: Bit 63 slips through") {
		t.Errorf("IE-6 bit 63: %+v %+v", tc, tc.Failure)
	}
	if j.Tests != 10 || j.Failures != 4 || j.Errors != 1 {
		t.Errorf("totals: %d tests, %d failures, %d errors", j.Tests, j.Failures, j.Errors)
	}
}

func TestHTML(t *testing.T) {
	base, cand := twoRuns(t)
	var out strings.Builder
	m := NewMatrix([]*Run{base, cand}, areaOrder)
	if err := WriteHTML(&out, m, "kvmconform: test", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	h := out.String()
	for _, want := range []string{
		"<th title=\"6.1.0-40-amd64\">base</th><th title=\"6.12.57&#43;deb13-amd64\">cand</th>",
		`<td class="cell expected" title="expected failure, kernel bug: Bit 63 slips through on 6.12. (test.yaml:2); the failure: want EINVAL, got EINTR"><details><summary>expected</summary><pre>want EINVAL, got EINTR`,
		`<td class="cell skipped" title="skipped: capability: KVM_CAP_Y">skipped</td>`,
		`<tr class="spec differs"><td class="ids">CMP-9</td>`,
		`<td class="cell absent"`,
		"<dt>CPU</dt><dd>AuthenticAMD, AMD EPYC</dd>",
		`<td class="spec">(the area as a whole)</td>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "<link", "src="} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML is not self-contained: it has %q", bad)
		}
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, m, "kvmconform report"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| base | 6.1.0-40-amd64 | kvm,kvm_amd | AuthenticAMD, AMD EPYC | 6 | 1 | 1 | 1 | NOT OK |",
		"| immediateexit | sync regs [IE-6] bit 63 | passed | expected |", "EXPECTED IE-6", "2 runs: "} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// TestLoadNative reads a ginkgo CLI report (one host entry in the older
// one-line form) as a run.
func TestLoadNative(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../expectations/testdata/native-kvm_pvm.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ReportFile), data, 0o644)
	r, err := Load(dir, areaOrder)
	if err != nil {
		t.Fatal(err)
	}
	if r.Label != "amd64 6.18.44-fc-v657" || len(r.Reports) != 4 || r.Reports[0].SuitePath != "abi" {
		t.Fatalf("run %q, %d reports, %s", r.Label, len(r.Reports), r.Reports[0].SuitePath)
	}
	res := r.Judge(nil)
	if res.Counts != (expectations.Counts{Passed: 72, Failed: 6, Skipped: 15}) || res.Host.String() != "amd64, kernel 6.18.44-fc-v657, KVM modules kvm,kvm_pvm" {
		t.Errorf("counts %s, host %s", res.Counts, res.Host)
	}
	if _, err := Load(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "no report.json or metadata.json") {
		t.Errorf("an empty directory: %v", err)
	}
	missing := t.TempDir()
	os.WriteFile(filepath.Join(missing, MetadataFile), []byte(`{"kind":"native","areas":["abi"]}`), 0o644)
	if r, err := Load(missing, nil); err != nil || r.Judge(nil).OK() || !strings.Contains(r.Problem, "does not exist") {
		t.Errorf("a run without its report: %v %+v", err, r)
	}
}

// TestCompareDebianRows is the case the compare command must get right:
// Debian 6.1 against 6.12 on amd64 (two real QEMU rows, trimmed) regress
// exactly in IE-6's bit 63, which the shipped expectations explain on
// 6.12 and which is still a regression from 6.1.
func TestCompareDebianRows(t *testing.T) {
	shipped, err := expectations.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var runs []*Run
	for _, d := range []string{"testdata/amd64-debian-bookworm", "testdata/amd64-debian-trixie"} {
		r, err := Load(d, areaOrder)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Judge(shipped).OK() {
			t.Fatalf("%s is not OK: %s", d, r.Result.Counts)
		}
		runs = append(runs, r)
	}
	base, cand := runs[0], runs[1]
	if base.Label != "amd64 debian:bookworm" || base.Kernel() != "debian:bookworm (6.1.0-57-cloud-amd64)" || base.Host.GOARCH != "amd64" || base.HostNote != "from the reports" {
		t.Errorf("base %q %q %+v %q", base.Label, base.Kernel(), base.Host, base.HostNote)
	}
	if base.Result.Counts != (expectations.Counts{Passed: 115, Skipped: 14}) || cand.Result.Counts != (expectations.Counts{Passed: 113, Expected: 2, Skipped: 14}) {
		t.Errorf("counts %s, %s", base.Result.Counts, cand.Result.Counts)
	}
	c := Compare(base, cand)
	if len(c.Regressions) != 2 || !c.Failed() {
		t.Fatalf("%d regressions, want 2", len(c.Regressions))
	}
	for i, want := range []string{"kvm_valid_regs bit 63", "kvm_dirty_regs bit 63"} {
		r := c.Regressions[i]
		if !strings.HasSuffix(r.Text, "[IE-6] "+want) || r.Base.Outcome != expectations.Passed || r.Cand.Outcome != expectations.Expected ||
			r.Cand.Spec.Expectation == nil || r.Cand.Spec.Expectation.ID != "IE-6" {
			t.Errorf("regression %d: %q %s -> %s", i, r.Text, r.Base.Outcome, r.Cand.Outcome)
		}
	}
	if n := len(c.Fixes) + len(c.NewSkips) + len(c.NewFailures) + len(c.Added) + len(c.Removed) + len(c.Incomplete); n != 0 {
		t.Errorf("%d other changes: %+v", n, c)
	}
	// The other way round 6.12 -> 6.1 fixes them, and nothing regresses.
	back := Compare(cand, base)
	if len(back.Regressions) != 0 || len(back.Fixes) != 2 || back.Failed() {
		t.Errorf("6.12 -> 6.1: %d regressions, %d fixes", len(back.Regressions), len(back.Fixes))
	}
	// A matrix of both: IE-6 bit 63 are the only rows that differ.
	m := NewMatrix(runs, areaOrder)
	var differ []string
	for _, row := range m.Rows {
		if row.Differs() {
			differ = append(differ, row.Text)
		}
	}
	if len(differ) != 2 || !strings.HasSuffix(differ[0], "kvm_valid_regs bit 63") {
		t.Errorf("rows that differ: %q", differ)
	}
}
