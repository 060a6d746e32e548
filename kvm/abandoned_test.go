package kvm_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/kvm"
)

// plantedEnv forces the QEMU path of TestStuckVCPUKeepsTheReport
// ("qemu") even where /dev/kvm works.
const plantedEnv = "KVMCONFORM_PLANTED"

// TestStuckVCPUKeepsTheReport plants a vCPU that never comes back from
// KVM_RUN (testdata/stuck_suite_test.go.txt, a Ginkgo suite on the suites'
// harness, built as suites/internal/planted through a go build overlay so
// that no suite run ever picks it up) and checks that a stuck vCPU costs
// only its own spec: that spec fails with STUCK on the first line, the
// specs after it still run, the abandoned thread returning later does not
// crash the process, the binary exits normally (status 1: one failure) and
// its JSON report is complete and says how many vCPUs were abandoned. Where this machine has
// no usable /dev/kvm it runs the planted suite inside an amd64 QEMU guest
// with nested KVM instead (go run ./ci program).
func TestStuckVCPUKeepsTheReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a planted suite against /dev/kvm (or in QEMU)")
	}
	if host.Arch() == nil {
		t.Skip("architecture: kvmconform has no support for this GOARCH")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sys, reason := kvm.Probe(kvm.DevicePath())
	if sys != nil {
		sys.Close()
	}
	if sys != nil && os.Getenv(plantedEnv) != "qemu" {
		bin := buildPlanted(t, root, runtime.GOARCH)
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		report := filepath.Join(dir, "report.json")
		out, err := exec.CommandContext(ctx, bin, "-ginkgo.json-report="+report, "-ginkgo.no-color").CombinedOutput()
		status := -1
		var exit *exec.ExitError
		switch {
		case err == nil:
			status = 0
		case errors.As(err, &exit) && exit.Exited():
			status = exit.ExitCode()
		}
		if status != 1 {
			t.Fatalf("the planted suite must exit normally with status 1 (one failed spec), got %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "1 vCPU(s) abandoned in KVM_RUN") {
			t.Errorf("the run does not say how many vCPUs were abandoned:\n%s", out)
		}
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatalf("no JSON report: %v", err)
		}
		checkPlantedReport(t, data)
		return
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("KVM unavailable (" + reason + "), and the QEMU path of this test runs on amd64 hosts only")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("KVM unavailable (" + reason + "), and no qemu-system-x86_64 for the QEMU path (scripts/deps installs it)")
	}
	bin := buildPlanted(t, root, "amd64")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./ci", "program", "--arch", "amd64", "--kernel", "debian:bookworm",
		"--binary", bin, "--result", "/tmp/report.json", "--out", dir, "--",
		"-ginkgo.json-report=/tmp/report.json", "-ginkgo.no-color")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the planted suite in QEMU: %v\n%s", err, out)
	}
	statusText, err := os.ReadFile(filepath.Join(dir, "exit-status"))
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := strconv.Atoi(strings.TrimSpace(string(statusText))); status != 1 {
		t.Fatalf("the planted suite must exit normally with status 1 (one failed spec) in the guest, got %s", statusText)
	}
	data, err := os.ReadFile(filepath.Join(dir, "result"))
	if err != nil {
		t.Fatalf("no JSON report from the guest: %v", err)
	}
	checkPlantedReport(t, data)
}

// buildPlanted builds the planted suite for goarch (static, so that it
// also runs in a QEMU guest).
func buildPlanted(t *testing.T, root, goarch string) string {
	t.Helper()
	dir := t.TempDir()
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
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH="+goarch)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the planted suite: %v\n%s", err, out)
	}
	return bin
}

// checkPlantedReport checks the planted suite's Ginkgo JSON report: every
// spec is there with the verdict it must have, the stuck one's message
// starts with STUCK and makes up no errno, and the AfterSuite counted the
// abandoned vCPU.
func checkPlantedReport(t *testing.T, data []byte) {
	t.Helper()
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
			if strings.Contains(first, "EDEADLK") || strings.Contains(first, "deadlock") {
				t.Errorf("the stuck spec's message makes up an errno: %q", first)
			}
		}
	}
	for name := range want {
		t.Errorf("spec %q is missing from the report", name)
	}
	if !strings.HasPrefix(abandonedEntry, "1 vCPU(s) abandoned") {
		t.Errorf("report entry \"abandoned vCPUs\" = %q", abandonedEntry)
	}
}
