package planted_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// qemuEnv forces the QEMU path ("qemu") even where /dev/kvm works.
const qemuEnv = "KVMCONFORM_PLANTED"

// nestedFault is one fault planted in the nested-svm L1 (RAM words of the
// image, suites/nested guestPatches) and what it must do to the specs.
type nestedFault struct {
	name    string
	patches map[string]uint32
	filter  string              // the specs run
	want    map[string][]string // spec label -> substrings of its failure's first line (it must fail)
	pass    []string            // spec labels that must pass
}

// status is the exit status the planted suite must have.
func (f nestedFault) status() int {
	if len(f.want) > 0 {
		return 1
	}
	return 0
}

// nestedFaults: an L1 that does not intercept INTR lets KVM give L1's
// interrupt to L2 (which takes vector 0x30 and leaves with VMMCALL), so
// the specs that wait for #VMEXIT(INTR) fail saying so; an L1 that never
// sets EVENTINJ leaves L2's handler unrun, which NEST-1 (the one spec
// whose L1 injects) must call a lost injection.
func nestedFaults() []nestedFault {
	return []nestedFault{
		{
			// The same build and run with nothing planted: the specs pass,
			// so the failures below are the faults' doing.
			name:   "control",
			filter: "NEST-1 || NEST-2",
			pass:   []string{"NEST-1", "NEST-2"},
		},
		{
			name:    "no-intr-intercept",
			patches: map[string]uint32{"cfg_intercept_misc1": 1 << 31}, // SHUTDOWN only
			filter:  "NEST-1 || NEST-2",
			want: map[string][]string{
				"NEST-1": {"want #VMEXIT(INTR) (exit code 0x60) right after L2's entry, L1 saw #VMEXIT(VMMCALL) (exit code 0x81)", "L2 took vector 0x30"},
				"NEST-2": {"want #VMEXIT(INTR) (exit code 0x60), L1 saw #VMEXIT(VMMCALL) (exit code 0x81)", "L2 took vector 0x30"},
			},
		},
		{
			name:    "no-eventinj",
			patches: map[string]uint32{"cfg_event_inj": 0},
			filter:  "NEST-1",
			want: map[string][]string{
				"NEST-1": {"want the injection delivered before the #VMEXIT", "EVENTINJ was lost", "L2's handler ran 0 time(s)"},
			},
		},
	}
}

// TestNestedPlantedFaults builds suites/nested with each fault of
// nestedFaults planted (an overlay adds a file to package nested that sets
// guestPatches) and checks that the specs it must break fail, with the
// first line of the failure saying what L1 saw. Where this machine's KVM
// has no nested SVM (the nested specs skip) it runs the planted suite in
// an amd64 QEMU guest with nested KVM instead (go run ./ci program, Debian
// bookworm), as the conformance rows do.
func TestNestedPlantedFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds planted nested suites and runs them against /dev/kvm or in QEMU")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("architecture: the nested-svm L1 guest is x86")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range nestedFaults() {
		t.Run(f.name, func(t *testing.T) {
			bin := buildPlantedNested(t, root, f.patches)
			args := []string{"-ginkgo.no-color", "-ginkgo.label-filter=" + f.filter}
			var data []byte
			if os.Getenv(qemuEnv) != "qemu" {
				var status int
				data, status = runNative(t, bin, args)
				switch {
				case data != nil && allSkipped(t, data):
					t.Logf("the nested specs skip on this machine's KVM; running the planted suite in QEMU")
					data = nil
				case data != nil && status != f.status():
					t.Errorf("the planted suite's exit status: want %d, got %d", f.status(), status)
				}
			}
			if data == nil {
				data = runQEMU(t, root, bin, args, f.status())
			}
			checkPlantedNested(t, f, data)
		})
	}
}

// buildPlantedNested builds the nested suite's test binary for amd64
// (static) with patches planted.
func buildPlantedNested(t *testing.T, root string, patches map[string]uint32) string {
	t.Helper()
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString("package nested\n\n// Planted by internal/planted: not in any shipped build.\nfunc init() {\n")
	names := make([]string, 0, len(patches))
	for n := range patches {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&src, "\tguestPatches[%q] = %#x\n", n, patches[n])
	}
	src.WriteString("}\n")
	plant := filepath.Join(dir, "planted.go")
	if err := os.WriteFile(plant, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(root, "suites", "nested", "zz_planted.go"): plant,
	}})
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "nested-planted.test")
	build := exec.Command("go", "test", "-vet=off", "-c", "-overlay="+filepath.Join(dir, "overlay.json"), "-o", bin, "./suites/nested")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the planted nested suite: %v\n%s", err, out)
	}
	return bin
}

// runNative runs the planted suite here and returns its JSON report (nil
// where it wrote none) and exit status.
func runNative(t *testing.T, bin string, args []string) ([]byte, int) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(args, "-ginkgo.json-report="+report)...).CombinedOutput()
	status := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("running the planted suite: %v\n%s", err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Logf("no report from the native run (%v):\n%s", err, out)
		return nil, status
	}
	return data, status
}

// runQEMU runs the planted suite in an amd64 QEMU guest with nested KVM
// and returns its JSON report; the binary must exit with wantStatus (0:
// every spec passed, 1: some failed).
func runQEMU(t *testing.T, root, bin string, args []string, wantStatus int) []byte {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("no nested SVM here, and no qemu-system-x86_64 for the QEMU path (scripts/deps installs it)")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	argv := []string{"run", "./ci", "program", "--arch", "amd64", "--kernel", "debian:bookworm",
		"--binary", bin, "--result", "/tmp/report.json", "--out", dir, "--"}
	argv = append(argv, args...)
	argv = append(argv, "-ginkgo.json-report=/tmp/report.json")
	cmd := exec.CommandContext(ctx, "go", argv...)
	cmd.Dir = root
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the planted suite in QEMU: %v\n%s", err, out)
	}
	t.Logf("planted suite in QEMU: %v", time.Since(start).Round(time.Second))
	status, err := os.ReadFile(filepath.Join(dir, "exit-status"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := strconv.Atoi(strings.TrimSpace(string(status))); err != nil || s != wantStatus {
		t.Errorf("the planted suite's exit status in the guest: want %d, got %s", wantStatus, strings.TrimSpace(string(status)))
	}
	data, err := os.ReadFile(filepath.Join(dir, "result"))
	if err != nil {
		t.Fatalf("no JSON report from the guest: %v", err)
	}
	return data
}

// specs returns the report's It specs by their NEST-n label.
func specs(t *testing.T, data []byte) map[string]types.SpecReport {
	t.Helper()
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("JSON report: %v (%d suites)", err, len(reports))
	}
	out := map[string]types.SpecReport{}
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		for _, l := range s.Labels() {
			if strings.HasPrefix(l, "NEST-") {
				out[l] = s
			}
		}
	}
	return out
}

// allSkipped reports whether every nested spec that ran was skipped (this
// machine has no nested SVM).
func allSkipped(t *testing.T, data []byte) bool {
	t.Helper()
	ran := 0
	for _, s := range specs(t, data) {
		if s.State == types.SpecStateFailed || s.State == types.SpecStatePassed {
			return false
		}
		if s.State == types.SpecStateSkipped {
			ran++
		}
	}
	return ran > 0
}

func checkPlantedNested(t *testing.T, f nestedFault, data []byte) {
	t.Helper()
	got := specs(t, data)
	for _, label := range f.pass {
		if s, ok := got[label]; !ok {
			t.Errorf("%s: not in the report", label)
		} else if s.State != types.SpecStatePassed {
			t.Errorf("%s with %s: %s, want passed: %s", label, f.name, s.State, s.Failure.Message)
		}
	}
	for label, subs := range f.want {
		s, ok := got[label]
		if !ok {
			t.Errorf("%s: not in the report", label)
			continue
		}
		if s.State != types.SpecStateFailed {
			t.Errorf("%s with %s planted: %s, want failed: %s", label, f.name, s.State, s.Failure.Message)
			continue
		}
		first, _, _ := strings.Cut(s.Failure.Message, "\n")
		for _, sub := range subs {
			if !strings.Contains(first, sub) {
				t.Errorf("%s with %s planted: the first line of the failure must contain %q:\n%s", label, f.name, sub, first)
			}
		}
		t.Logf("%s with %s planted: %s", label, f.name, first)
	}
}
