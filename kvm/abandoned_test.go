package kvm_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/kvm"
)

// TestStuckVCPUKeepsTheReport plants a vCPU that never comes back from
// KVM_RUN (testdata/stuck_suite_test.go.txt, a Ginkgo suite on the suites'
// harness, built as suites/internal/planted through a go build overlay so
// that no suite run ever picks it up) and checks what issue 11
// demands of it: the spec fails with STUCK on the first line, the specs
// after it still run, the abandoned thread returning later does not crash
// the process, the binary exits normally (status 1: one failure) and its
// JSON report is complete and says how many vCPUs were abandoned.
func TestStuckVCPUKeepsTheReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a planted suite against /dev/kvm")
	}
	sys, reason := kvm.Probe(kvm.DevicePath())
	if sys == nil {
		t.Skip("KVM unavailable: " + reason)
	}
	sys.Close()
	if host.Arch() == nil {
		t.Skip("architecture: kvmconform has no support for this GOARCH")
	}
	dir := t.TempDir()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs("testdata/stuck_suite_test.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(root, "suites", "internal", "planted", "stuck_suite_test.go"): src,
	}})
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "planted.test")
	build := exec.Command("go", "test", "-vet=off", "-c", "-overlay="+filepath.Join(dir, "overlay.json"), "-o", bin, "./suites/internal/planted")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the planted suite: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	report := filepath.Join(dir, "report.json")
	run := exec.CommandContext(ctx, bin, "-ginkgo.json-report="+report, "-ginkgo.no-color")
	out, err := run.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the planted suite must exit normally with status 1 (one failed spec), got %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "1 vCPU(s) abandoned in KVM_RUN") {
		t.Errorf("the run does not say how many vCPUs were abandoned:\n%s", out)
	}

	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no JSON report: %v", err)
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("JSON report: %v (%d suites)", err, len(reports))
	}
	want := map[string]types.SpecState{
		"runs a guest before": types.SpecStatePassed,
		"is stuck":            types.SpecStateFailed,
		"comes back out of KVM_RUN later without taking the process down": types.SpecStatePassed,
		"runs a guest after": types.SpecStatePassed,
	}
	abandonedEntry := ""
	for _, s := range reports[0].SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name == "abandoned vCPUs" {
				abandonedEntry = e.StringRepresentation()
			}
		}
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		st, ok := want[s.LeafNodeText]
		if !ok {
			t.Errorf("unexpected spec %q", s.LeafNodeText)
			continue
		}
		delete(want, s.LeafNodeText)
		if s.State != st {
			t.Errorf("%q: %s, want %s: %s", s.LeafNodeText, s.State, st, s.Failure.Message)
		}
		if s.LeafNodeText == "is stuck" {
			first, _, _ := strings.Cut(s.Failure.Message, "\n")
			if !strings.HasPrefix(first, "STUCK") {
				t.Errorf("the stuck spec's message must start with STUCK: %q", first)
			}
			for _, bad := range []string{"EDEADLK", "deadlock", "errno"} {
				if strings.Contains(first, bad) && !strings.Contains(first, "no return value or errno") {
					t.Errorf("the stuck spec's message makes up an errno (%s): %q", bad, first)
				}
			}
		}
	}
	for name := range want {
		t.Errorf("spec %q is missing from the report", name)
	}
	if !strings.HasPrefix(abandonedEntry, "1 vCPU(s) abandoned") {
		t.Errorf("report entry \"abandoned vCPUs\" = %q", abandonedEntry)
	}
	t.Logf("planted suite output:\n%s", out)
}
