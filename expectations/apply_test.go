package expectations

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// The suites of the native run in testdata.
var nativeSuites = []string{"suites/abi", "suites/immediateexit", "suites/kick", "suites/mpstate"}

func nativeReport(t *testing.T) []types.Report {
	t.Helper()
	data, err := os.ReadFile("testdata/native-kvm_pvm.json")
	if err != nil {
		t.Fatal(err)
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		t.Fatal(err)
	}
	return reports
}

func pvmList(t *testing.T, extra string) []Expectation {
	t.Helper()
	data, err := os.ReadFile("testdata/pvm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	list, err := Parse("testdata/pvm.yaml", append(data, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func summaryOf(t *testing.T, r *Result) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHostOfOldString(t *testing.T) {
	h, ok, err := HostOf(nativeReport(t))
	if err != nil || !ok {
		t.Fatalf("HostOf: %v %v", ok, err)
	}
	if h.GOARCH != "amd64" || h.Kernel != "6.18.44-fc-v657" || !slices.Equal(h.Modules, []string{"kvm", "kvm_pvm"}) {
		t.Fatalf("host %+v", h)
	}
}

func TestHostOfStructured(t *testing.T) {
	r := types.Report{SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeBeforeSuite, ReportEntries: []types.ReportEntry{{
		Name: "host", Value: types.ReportEntryValue{AsJSON: `{"goarch":"mips64le","kernel":"6.1.0-40-loongson-3","machine":"mips64","modules":["kvm"],"device":"/dev/kvm"}`},
	}}}}}
	h, ok, err := HostOf([]types.Report{r})
	if err != nil || !ok || h.GOARCH != "mips64le" || h.Kernel != "6.1.0-40-loongson-3" || !slices.Equal(h.Modules, []string{"kvm"}) {
		t.Fatalf("HostOf = %+v %v %v", h, ok, err)
	}
	r.SpecReports[0].ReportEntries[0].Value.AsJSON = `{"kernel": 6}`
	if _, _, err := HostOf([]types.Report{r}); err == nil {
		t.Fatal("a broken host entry was accepted")
	}
	if _, ok, _ := HostOf(nil); ok {
		t.Fatal("a host without reports")
	}
}

func TestApplyNativeCovered(t *testing.T) {
	res := Apply(nativeReport(t), pvmList(t, ""), Options{Suites: nativeSuites})
	if !res.OK() {
		t.Fatalf("not OK:\n%s", summaryOf(t, res))
	}
	if res.Counts != (Counts{Passed: 72, Expected: 6, Skipped: 15}) {
		t.Fatalf("counts %+v", res.Counts)
	}
	out := summaryOf(t, res)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[len(lines)-1] != "72 passed, 0 failed, 6 expected, 15 skipped" {
		t.Errorf("closing line %q", lines[len(lines)-1])
	}
	// One line per expectation, not one per spec.
	var expected []string
	for _, l := range lines {
		if strings.HasPrefix(l, "  EXPECTED ") {
			expected = append(expected, l)
		}
	}
	if len(expected) != 4 {
		t.Fatalf("%d EXPECTED lines, want 4:\n%s", len(expected), out)
	}
	for i, want := range []string{
		`^  EXPECTED CMP-2 outb, outw, outl \[unexplained; amd64 module kvm_pvm\]: Test fixture\. \(testdata/pvm\.yaml:3\)$`,
		`^  EXPECTED CMP-3 drops a PIO IN completion when userspace moved RIP \[unexplained; amd64 module kvm_pvm\]: Test fixture\. \(testdata/pvm\.yaml:10\)$`,
		`^  EXPECTED CMP-7 completes a userspace hypercall before the immediate exit `,
		`^  EXPECTED MP-X13 reports a HALTED vCPU kicked by KVM_HC_KICK_CPU as RUNNABLE `,
	} {
		if !regexp.MustCompile(want).MatchString(expected[i]) {
			t.Errorf("line %q does not match %s", expected[i], want)
		}
	}
	for _, want := range []string{
		"host: amd64, kernel 6.18.44-fc-v657, KVM modules kvm,kvm_pvm (from the reports)\n",
		"expected failures (6 specs by 4 expectations; they fail in the reports, not the verdict):\n",
		"skipped: 13 architecture, 2 capability\n",
		"verdict: OK (every failure is expected and every suite reported)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"FAILED", "FIXED?", "UNUSED", "incomplete"} {
		if strings.Contains(out, bad) {
			t.Errorf("summary has %q:\n%s", bad, out)
		}
	}
	if s := res.Suites; len(s) != 4 || s[1].Name != "suites/immediateexit" || s[1].Counts != (Counts{Passed: 25, Expected: 5, Skipped: 5}) {
		t.Errorf("suites %+v", s)
	}
}

// TestApplyShippedToTheOldNativeRun applies the shipped list to the
// native kvm_pvm run made before CMP-2 accepted the emulator path: the
// three explained kvm_pvm deviations are expected, and the three CMP-2
// failures (a harness that knew one path only) stay failures.
func TestApplyShippedToTheOldNativeRun(t *testing.T) {
	shipped, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	res := Apply(nativeReport(t), shipped, Options{Suites: nativeSuites})
	if res.OK() {
		t.Fatal("OK although CMP-2 failed three times")
	}
	if res.Counts != (Counts{Passed: 72, Failed: 3, Expected: 3, Skipped: 15}) {
		t.Fatalf("counts %+v", res.Counts)
	}
	out := summaryOf(t, res)
	for _, want := range []string{"EXPECTED CMP-3 ", "EXPECTED CMP-7 ", "EXPECTED MP-X13 ", "FAILED CMP-2 ", "72 passed, 3 failed, 3 expected, 15 skipped\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestApplyNativeUncovered(t *testing.T) {
	res := Apply(nativeReport(t), nil, Options{Suites: nativeSuites})
	if res.OK() {
		t.Fatal("OK without expectations for the six failures")
	}
	if res.Counts != (Counts{Passed: 72, Failed: 6, Skipped: 15}) {
		t.Fatalf("counts %+v", res.Counts)
	}
	out := summaryOf(t, res)
	for _, want := range []string{
		"unexpected failures (6):\n",
		"  FAILED CMP-2 x86 completion of pending exits completes port I/O before the immediate exit [CMP-1, CMP-2] outb: RIP during the pending I/O exit (CMP-2)\n",
		"  FAILED MP-X13 x86 mp_state of a PV-unhalted vCPU reports a HALTED vCPU kicked by KVM_HC_KICK_CPU as RUNNABLE [MP-X13]: KVM_RUN did not return within 10s",
		"verdict: NOT OK (6 unexpected failures)\n",
		"72 passed, 6 failed, 0 expected, 15 skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "EXPECTED") {
		t.Errorf("EXPECTED lines without expectations:\n%s", out)
	}
}

func TestApplyFixedAndUnused(t *testing.T) {
	list := pvmList(t, `
- id: CMP-1
  case: inb
  arch: amd64
  kind: kernel bug
  reason: Passed in this run. So it is fixed?
- id: SIG-1
  arch: amd64
  kernel: "6.18.*"
  kind: kernel bug
  reason: Also passed.
- id: MP-X11
  arch: amd64
  kind: platform limitation
  reason: Skipped here (no SMM), so it covers nothing.
- id: CMP-2
  arch: arm64
  kind: kernel bug
  reason: Another arch, does not apply.
`)
	res := Apply(nativeReport(t), list, Options{Suites: nativeSuites})
	if !res.OK() {
		t.Fatalf("fixed? specs must not fail the verdict:\n%s", summaryOf(t, res))
	}
	fixed := res.Only(Fixed)
	if len(fixed) != 2 || fixed[0].Case != "inb" || fixed[0].Expectation.ID != "CMP-1" || fixed[1].Expectation.ID != "SIG-1" {
		t.Fatalf("fixed %+v", fixed)
	}
	if len(res.Unused) != 1 || res.Unused[0].ID != "MP-X11" {
		t.Fatalf("unused %v", res.Unused)
	}
	out := summaryOf(t, res)
	for _, want := range []string{
		"  FIXED? CMP-1 inb [kernel bug; amd64]: Passed in this run. (testdata/pvm.yaml:28)\n",
		"  FIXED? SIG-1 accepts exactly the kernel's sigset size, rejects other lengths with EINVAL, and clears with NULL [kernel bug; amd64 kernel 6.18.*]: Also passed. (testdata/pvm.yaml:33)\n",
		"  UNUSED MP-X11 [platform limitation; amd64] (testdata/pvm.yaml:38)\n",
		"72 passed, 0 failed, 6 expected, 15 skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestApplyHostGiven(t *testing.T) {
	// The runner's host wins over the report's: here another module, so
	// the kvm_pvm expectations do not apply.
	h := Host{GOARCH: "amd64", Kernel: "6.18.44-fc-v657", Modules: []string{"kvm", "kvm_intel"}}
	res := Apply(nativeReport(t), pvmList(t, ""), Options{Host: &h})
	if res.OK() || res.Counts.Failed != 6 || len(res.Unused) != 0 || res.HostNote != "given by the runner" {
		t.Fatalf("%+v\n%s", res.Counts, summaryOf(t, res))
	}
	res = Apply(nativeReport(t), pvmList(t, ""), Options{Host: &Host{}})
	if res.Counts.Failed != 6 || res.Host.Known() || !strings.Contains(summaryOf(t, res), "host: unknown (the runner gave no GOARCH or kernel release)\n") {
		t.Fatalf("an unknown host must apply nothing: %+v %s", res.Counts, res.HostNote)
	}
}

func TestCompleteness(t *testing.T) {
	list := pvmList(t, "")
	check := func(name string, reports []types.Report, suites []string, want string) {
		t.Helper()
		res := Apply(reports, list, Options{Suites: suites})
		out := summaryOf(t, res)
		if res.OK() {
			t.Errorf("%s: OK:\n%s", name, out)
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s: summary lacks %q:\n%s", name, want, out)
		}
		if !strings.Contains(out, "verdict: NOT OK") {
			t.Errorf("%s: no NOT OK verdict:\n%s", name, out)
		}
	}

	// A suite missing from the report (its process crashed or was killed).
	reports := nativeReport(t)
	without := slices.Delete(slices.Clone(reports), 2, 3) // suites/kick
	check("suite removed", without, nativeSuites, "  suite suites/kick did not report: absent from the report (crashed, killed or never run?)\n")
	check("suite removed, by name", without, []string{"abi", "immediateexit", "kick", "mpstate"}, "suite kick did not report: absent")
	// An absolute SuitePath still matches.
	abs := nativeReport(t)
	for i := range abs {
		abs[i].SuitePath = "/home/qa/kvmconform/" + abs[i].SuitePath
	}
	if res := Apply(abs, list, Options{Suites: nativeSuites}); !res.OK() {
		t.Errorf("absolute SuitePath: %s", summaryOf(t, res))
	}

	// Interrupted (SIGINT/SIGTERM): the running spec is interrupted, the
	// rest skipped, and the reason is recorded.
	intr := nativeReport(t)
	k := &intr[2]
	k.SuiteSucceeded = false
	k.SpecialSuiteFailureReasons = []string{"Interrupted by User"}
	k.SpecReports[3].State = types.SpecStateInterrupted
	for i := 4; i < len(k.SpecReports); i++ {
		k.SpecReports[i].State = types.SpecStateSkipped
	}
	check("interrupted", intr, nativeSuites, "suite suites/kick did not report: interrupted (Interrupted by User)")

	// Unsuccessful without a failed spec.
	quiet := nativeReport(t)
	quiet[0].SuiteSucceeded = false
	check("unsuccessful", quiet, nil, "suite suites/abi did not report: the suite failed without a failed spec (interrupted?)")

	// Fewer specs than the suite has.
	short := nativeReport(t)
	short[3].SpecReports = short[3].SpecReports[:10]
	check("truncated", short, nativeSuites, "suite suites/mpstate did not report: the report holds 9 of the suite's 42 specs (crashed?)")

	// A suite that did not compile or timed out (ginkgo's own report).
	comp := append(nativeReport(t), types.Report{SuitePath: "/x/suites/nested", SpecialSuiteFailureReasons: []string{"Failed to compile nested:\n\nundefined: x"}})
	check("compile", comp, nativeSuites, "suite suites/nested did not report: Failed to compile nested:\n")

	// No suite at all (an empty report).
	check("empty", nil, nil, "the report holds no suite")
	check("empty with suites", nil, nativeSuites, "suite suites/abi did not report: absent")

	// A failed BeforeSuite counts as a failure and cannot be expected.
	bs := nativeReport(t)
	bs[0].SuiteSucceeded = false
	bs[0].SpecReports[0].State = types.SpecStateFailed
	bs[0].SpecReports[0].Failure.Message = "no /dev/kvm\nmore"
	res := Apply(bs, list, Options{Suites: nativeSuites})
	if res.OK() || res.Counts.Failed != 1 {
		t.Fatalf("failed BeforeSuite: %+v", res.Counts)
	}
	if out := summaryOf(t, res); !strings.Contains(out, "  FAILED suites/abi: BeforeSuite: no /dev/kvm\n") {
		t.Errorf("failed BeforeSuite:\n%s", out)
	}
}

func TestWriteDetailsRuns(t *testing.T) {
	list, err := Parse("m.yaml", []byte(`
- {id: CMP-8, case: "mmio-load-ldrs*", arch: arm64, kind: unexplained, reason: Zero-extended under TCG. More.}
`))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(kernel string, leaves ...string) *Result {
		r := types.Report{SuitePath: "immediateexit", SuiteSucceeded: false}
		for _, l := range leaves {
			r.SpecReports = append(r.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: l,
				ContainerHierarchyLabels: [][]string{{"CMP-13", "CMP-8"}}, State: types.SpecStateFailed})
		}
		return Apply([]types.Report{r}, list, Options{Host: &Host{GOARCH: "arm64", Kernel: kernel}})
	}
	runs := []Run{
		{"arm64 debian:bookworm", mk("6.1.0-40-arm64", "mmio-load-ldrsb-w: 1-byte sign-extending load into x1", "mmio-load-ldrsw: 4-byte sign-extending load into x1")},
		{"arm64 debian:trixie", mk("6.12.57+deb13-arm64", "mmio-load-ldrsb-w: 1-byte sign-extending load into x1", "mmio-load-ldrb: 1-byte zero-extending load into x1")},
		{"s390x", nil},
	}
	var b strings.Builder
	if err := WriteDetails(&b, runs); err != nil {
		t.Fatal(err)
	}
	want := `expected failures (3 specs by 1 expectation; they fail in the reports, not the verdict):
  EXPECTED CMP-8 mmio-load-ldrsb-w, mmio-load-ldrsw on arm64 debian:bookworm, arm64 debian:trixie (3 specs) [unexplained; arm64]: Zero-extended under TCG. (m.yaml:2)
unexpected failures (1):
  FAILED arm64 debian:trixie: CMP-13,CMP-8 mmio-load-ldrb: 1-byte zero-extending load into x1: failed
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
