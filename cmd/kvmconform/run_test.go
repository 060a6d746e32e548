package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/kvm"
)

// TestMain lets the test binary stand in for kvmconform: run starts
// os.Executable() as "run-area" for each area, and the interrupt test
// starts it as "run".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "run-area" || os.Getenv("KVMCONFORM_TEST_AS_MAIN") == "1") {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestRunOneArea runs the abi area for real (on this machine's KVM, or
// every spec skipped with the reason when there is none) and checks every
// file of the output directory.
func TestRunOneArea(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCmd("run", "--area", "abi", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "verdict: OK") || !strings.Contains(stdout, "\nkernel: ") {
		t.Errorf("stdout does not end with the summary and its host facts:\n%s", stdout)
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	var reports []types.Report
	if err := json.Unmarshal([]byte(read("report.json")), &reports); err != nil || len(reports) != 1 {
		t.Fatalf("report.json: %v, %d suites", err, len(reports))
	}
	r := reports[0]
	if r.SuitePath != "suites/abi" || r.SuiteDescription != "kvmconform: capabilities and basic ABI" || r.PreRunStats.TotalSpecs != 4 {
		t.Errorf("report: %s %q, %d specs", r.SuitePath, r.SuiteDescription, r.PreRunStats.TotalSpecs)
	}
	its := 0
	for _, s := range r.SpecReports {
		if s.LeafNodeType == types.NodeTypeIt {
			its++
			if !strings.Contains(s.LeafNodeLocation.FileName, "suites/abi/") {
				t.Errorf("a spec of another area in the abi report: %s", s.LeafNodeLocation)
			}
		}
	}
	if its != 4 {
		t.Errorf("%d specs in the abi report, want 4", its)
	}
	var junit reporters.JUnitTestSuites
	if err := xml.Unmarshal([]byte(read("junit.xml")), &junit); err != nil || len(junit.TestSuites) != 1 {
		t.Fatalf("junit.xml: %v, %d suites", err, len(junit.TestSuites))
	}
	if junit.TestSuites[0].Properties.WithName("host.kernel") == "" || junit.TestSuites[0].Properties.WithName("host.CPU") == "" {
		t.Errorf("junit.xml has no host facts: %+v", junit.TestSuites[0].Properties)
	}
	ktap := read("ktap.txt")
	if !strings.HasPrefix(ktap, "KTAP version 1\n1..1\n") || !strings.Contains(ktap, "# kernel: ") || !strings.Contains(ktap, "\nok 1 abi\n") {
		t.Errorf("ktap.txt:\n%s", ktap)
	}
	if html := read("report.html"); !strings.Contains(html, `<table class="matrix"`) || !strings.Contains(html, "capabilities") {
		t.Errorf("report.html has no matrix or host facts")
	}
	if sum := read("summary.txt"); !strings.HasSuffix(sum, "verdict: OK (every failure is expected and every suite reported)\n"+closing(r)) || !strings.Contains(stdout, sum) {
		t.Errorf("summary.txt:\n%s", sum)
	}
	var meta struct {
		Kind  string   `json:"kind"`
		Areas []string `json:"areas"`
	}
	if err := json.Unmarshal([]byte(read("metadata.json")), &meta); err != nil || meta.Kind != "native" || len(meta.Areas) != 1 {
		t.Errorf("metadata.json: %v %+v", err, meta)
	}
	// The verdict of the report.json is the run's.
	if code, vout, _ := runCmd("verdict", "--suites", "suites/abi", filepath.Join(out, "report.json")); code != 0 || !strings.HasSuffix(read("summary.txt"), lastLine(vout)) {
		t.Errorf("verdict of report.json: exit %d\n%s", code, vout)
	}
}

// closing is the summary's last line for a report whose specs all passed
// or skipped.
func closing(r types.Report) string {
	passed, skipped := 0, 0
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		if s.State == types.SpecStatePassed {
			passed++
		} else {
			skipped++
		}
	}
	return strings.Join([]string{strconv.Itoa(passed) + " passed", "0 failed", "0 expected", strconv.Itoa(skipped) + " skipped"}, ", ") + "\n"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1] + "\n"
}

func TestRunFilters(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCmd("run", "--area", "abi", "--label-filter", "CAP-1", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	var reports []types.Report
	json.Unmarshal(data, &reports)
	ran := 0
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType == types.NodeTypeIt && s.Failure.Message != "" || s.State == types.SpecStatePassed && s.LeafNodeType == types.NodeTypeIt {
			ran++
		}
	}
	if reports[0].PreRunStats.SpecsThatWillRun != 1 || ran != 1 {
		t.Errorf("--label-filter CAP-1: %d specs will run, %d ran; want 1", reports[0].PreRunStats.SpecsThatWillRun, ran)
	}
}

func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--label-filter", "CMP-4 &&"}, `--label-filter "CMP-4 &&"`},
		{[]string{"--focus", "("}, `--focus/--skip "(": error parsing regexp`},
		{[]string{"--area", "vmx"}, `--area "vmx": no such area (want abi, immediateexit, kick, mpstate, nested)`},
		{[]string{"--expect", filepath.Join(dir, "waivers.yaml")}, "waivers.yaml does not exist"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--out", "/proc/version/x"}, "--out: mkdir /proc/version: not a directory"},
		{[]string{"--formats", "json,xml"}, `--formats "xml": no such format (want json, junit, ktap, html, summary)`},
	} {
		code, _, errs := runCmd(append([]string{"run"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSuffix(errs, "\n"), "\n") != 0 {
			t.Errorf("run %q: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, errs, tc.want)
		}
	}
	if code, _, errs := runCmd("run", "-h"); code != 0 || !strings.Contains(errs, "ktap.txt") {
		t.Errorf("run -h: exit %d, %q", code, errs)
	}
}

// TestRunInterrupted interrupts a run in the middle of the kick area's
// stress spec: the area still reports (interrupted), every format is
// written, the run says "interrupted" and exits 1. It needs a usable KVM
// device, without which the kick specs skip at once.
func TestRunInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if sys, why := kvm.Probe(kvm.DevicePath()); sys == nil {
		t.Skip("KVM unavailable: " + why)
	} else {
		sys.Close()
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(self, "run", "--area", "kick,mpstate", "--label-filter", "stress", "-v", "--out", out)
	cmd.Env = append(os.Environ(), "KVMCONFORM_TEST_AS_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	sc := bufio.NewScanner(pipe)
	signalled := false
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		// -v prints a spec's text when it starts.
		if !signalled && strings.Contains(sc.Text(), "never loses a kick that stores immediate_exit") {
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGTERM)
			signalled = true
		}
	}
	err = cmd.Wait()
	if !signalled {
		t.Fatalf("the stress spec never started:\n%s\n%s", stdout.String(), stderr.String())
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.HasSuffix(stderr.String(), "kvmconform run: interrupted\n") {
		t.Fatalf("exit %v, stderr:\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 || reports[0].SuitePath != "suites/kick" {
		t.Fatalf("report.json: %v, %d suites", err, len(reports))
	}
	if !strings.Contains(strings.Join(reports[0].SpecialSuiteFailureReasons, ";"), "Interrupted") {
		t.Errorf("the kick report does not say it was interrupted: %q", reports[0].SpecialSuiteFailureReasons)
	}
	sum, _ := os.ReadFile(filepath.Join(out, "summary.txt"))
	for _, want := range []string{"suite kick did not report: interrupted", "suite mpstate did not report: absent", "verdict: NOT OK"} {
		if !strings.Contains(string(sum), want) {
			t.Errorf("summary.txt lacks %q:\n%s", want, sum)
		}
	}
	for _, f := range []string{"junit.xml", "ktap.txt", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestRunAreaJSON: --area-json keeps each area's own report as its process
// wrote it, and metadata.json says how each area's process did.
func TestRunAreaJSON(t *testing.T) {
	dir := t.TempDir()
	out, areas := filepath.Join(dir, "run"), filepath.Join(dir, "areas")
	code, stdout, stderr := runCmd("run", "--area", "nested,abi", "--out", out, "--area-json", areas)
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, stderr, stdout)
	}
	var merged []types.Report
	if data, err := os.ReadFile(filepath.Join(out, "report.json")); err != nil || json.Unmarshal(data, &merged) != nil || len(merged) != 2 {
		t.Fatalf("report.json: %v, %d suites", err, len(merged))
	}
	for i, area := range []string{"abi", "nested"} {
		var r []types.Report
		data, err := os.ReadFile(filepath.Join(areas, area+".json"))
		if err != nil || json.Unmarshal(data, &r) != nil || len(r) != 1 || r[0].SuitePath != "suites/"+area {
			t.Fatalf("%s.json: %v, %+v", area, err, r)
		}
		// The area's report in the merged one is the same report.
		if len(r[0].SpecReports) != len(merged[i].SpecReports) || r[0].SuitePath != merged[i].SuitePath || r[0].SuiteSucceeded != merged[i].SuiteSucceeded {
			t.Errorf("%s.json differs from its part of report.json", area)
		}
	}
	var meta struct {
		AreaRuns []struct {
			Name    string  `json:"name"`
			Seconds float64 `json:"seconds"`
			OK      bool    `json:"ok"`
		} `json:"areaRuns"`
	}
	if data, err := os.ReadFile(filepath.Join(out, "metadata.json")); err != nil || json.Unmarshal(data, &meta) != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	if len(meta.AreaRuns) != 2 || meta.AreaRuns[0].Name != "abi" || meta.AreaRuns[1].Name != "nested" || !meta.AreaRuns[0].OK || !meta.AreaRuns[1].OK {
		t.Errorf("areaRuns %+v", meta.AreaRuns)
	}
}

// TestRunFormats: --formats writes only the formats named, and
// metadata.json always; the last line says which files were written.
func TestRunFormats(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCmd("run", "--area", "abi", "--out", out, "--formats", "summary,ktap")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, stderr, stdout)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"ktap.txt", "metadata.json", "summary.txt"}; !slices.Equal(names, want) {
		t.Errorf("--formats summary,ktap wrote %q, want %q", names, want)
	}
	if !strings.Contains(stderr, "(ktap.txt, summary.txt, metadata.json)") {
		t.Errorf("stderr does not name the files written:\n%s", stderr)
	}
}

// areaOK is an area's part of the verdict.
func TestAreaOK(t *testing.T) {
	res := &expectations.Result{Suites: []expectations.Suite{
		{Name: "abi", Counts: expectations.Counts{Passed: 4}},
		{Name: "suites/kick", Counts: expectations.Counts{Passed: 9, Failed: 1}},
		{Name: "mpstate", Counts: expectations.Counts{Passed: 3, Expected: 2}},
		{Name: "nested", Counts: expectations.Counts{Failed: 1}, Problem: "absent from the report (crashed, killed or never run?)"},
	}}
	for area, want := range map[string]bool{"abi": true, "kick": false, "mpstate": true, "nested": false} {
		if got := areaOK(res, area); got != want {
			t.Errorf("areaOK(%s) = %v, want %v", area, got, want)
		}
	}
	res.Problems = []string{"the report holds no suite"}
	if areaOK(res, "abi") {
		t.Error("areaOK despite a problem of the run")
	}
}
