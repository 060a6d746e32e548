// Package scripts holds the tests of the shell scripts beside it: each runs
// a copy of a script in a scratch repository with a fake `go` (and gofmt,
// scripts/deps) first in PATH, plants a fault (a signal mid-run, a suite
// that exits 0 without reporting) and checks the exit status and message.
// Nothing waits for a fixed time: a signal is sent once the fake command
// has said it runs.
package scripts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// kvmconformBin builds the real cmd/kvmconform once: the fake go runs it
// for `go run ./cmd/kvmconform` and `go build ./cmd/kvmconform`, so the
// scripts are judged by the real verdict.
var kvmconformBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kvmconform-scripts-test-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kvmconform")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/kvmconform").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ../cmd/kvmconform: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := kvmconformBin(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// fakeGo stands in for the go command. It logs every call to
// $FAKE_STATE/go.log; vet, list and test succeed (test -c builds only the
// kick suite, as $FAKE_BIN/kick.test); run and build of ./cmd/kvmconform
// use the real one; go tool ginkgo is $FAKE_BIN/ginkgo.
const fakeGo = `#!/usr/bin/env bash
echo "go $*" >> "$FAKE_STATE/go.log"
case "$1" in
list) echo example.com/fake ;;
test)
	if [ "$2" = -c ] && [ "${5:-}" = ./suites/kick ]; then cp "$FAKE_BIN/kick.test" "$4"; fi ;;
build)
	[ "$2" = -o ] && [ "$4" = ./cmd/kvmconform ] && cp "$KVMCONFORM_BIN" "$3" ;;
run)
	if [ "$2" = ./cmd/kvmconform ]; then shift 2; exec "$KVMCONFORM_BIN" "$@"; fi ;;
tool)
	if [ "$2" = ginkgo ]; then shift 2; exec "$FAKE_BIN/ginkgo" "$@"; fi ;;
esac
exit 0
`

// fakeRunner is the body shared by the fake ginkgo and the fake kick suite
// binary; $FAKE_SCENARIO says what the n-th call does:
//
//	pass         write $FAKE_STATE/report.json to the report path, exit 0
//	silent-at-N  call N exits 0 and writes no report (as a signalled
//	             ginkgo does)
//	hang-at-N    call N writes its pid to $FAKE_STATE/ready and sleeps
//	             until a signal, which it logs to $FAKE_STATE/signals
//
// The report path is the value of --json-report (under --output-dir) or
// -ginkgo.json-report.
const fakeRunner = `#!/usr/bin/env bash
n=$(cat "$FAKE_STATE/calls" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$FAKE_STATE/calls"
report= outdir=.
for a in "$@"; do
	case "$a" in
	--output-dir=*) outdir=${a#--output-dir=} ;;
	--json-report=*) report=${a#--json-report=} ;;
	-ginkgo.json-report=*) report=${a#-ginkgo.json-report=} ;;
	esac
done
case "$report" in /*) ;; *) report=$outdir/$report ;; esac
case "$FAKE_SCENARIO" in
"hang-at-$n")
	trap 'echo TERM >> "$FAKE_STATE/signals"; exit 1' TERM
	trap 'echo INT >> "$FAKE_STATE/signals"; exit 1' INT
	echo $$ > "$FAKE_STATE/ready.tmp" && mv "$FAKE_STATE/ready.tmp" "$FAKE_STATE/ready"
	sleep 1000
	echo "sleep ended without a signal" >> "$FAKE_STATE/signals"
	exit 0 ;;
"silent-at-$n")
	echo "Test Suite Passed"; exit 0 ;;
esac
mkdir -p "$(dirname "$report")" && cp "$FAKE_STATE/report.json" "$report"
echo "Test Suite Passed"
`

// repo is a scratch copy of the repository's scripts with the fakes.
type repo struct {
	dir, state string
	env        []string
}

func newRepo(t *testing.T, scenario string, suites ...string) *repo {
	t.Helper()
	kv, err := kvmconformBin()
	if err != nil {
		t.Fatal(err)
	}
	r := &repo{dir: t.TempDir()}
	r.state = filepath.Join(r.dir, ".state")
	bin := filepath.Join(r.dir, ".fakebin")
	for _, d := range []string{filepath.Join(r.dir, "scripts"), r.state, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"test", "kick-stress", "interruptible.bash"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, "scripts", f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(r.dir, "scripts", "deps"): "#!/bin/sh\nexit 0\n",
		filepath.Join(bin, "go"):                fakeGo,
		filepath.Join(bin, "gofmt"):             "#!/bin/sh\nexit 0\n",
		filepath.Join(bin, "ginkgo"):            fakeRunner,
		filepath.Join(bin, "kick.test"):         fakeRunner,
	}
	var reports []types.Report
	for _, s := range suites {
		d := filepath.Join(r.dir, "suites", s)
		files[filepath.Join(d, s+"_suite_test.go")] = "package " + s + "\n"
		reports = append(reports, types.Report{SuitePath: d, SuiteDescription: s, SuiteSucceeded: true,
			PreRunStats: types.PreRunStats{TotalSpecs: 1, SpecsThatWillRun: 1},
			SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, LeafNodeText: "works", State: types.SpecStatePassed}}})
	}
	// The report the fakes write names the first suite only: with
	// several suites, the others did not report.
	rep, _ := json.Marshal(reports[:1])
	files[filepath.Join(r.state, "report.json")] = string(rep)
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dev := filepath.Join(r.state, "kvm") // readable and writable: the native path
	os.WriteFile(dev, nil, 0o600)
	r.env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_STATE="+r.state, "FAKE_BIN="+bin, "FAKE_SCENARIO="+scenario, "KVMCONFORM_BIN="+kv,
		"KVMCONFORM_DEVICE="+dev)
	return r
}

// start starts a script of the repo.
func (r *repo) start(t *testing.T, script string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(r.dir, "scripts", script), args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A script that dies and leaves a child holding its output (the
	// fault these tests plant) must not block Wait for that child's life.
	cmd.WaitDelay = 10 * time.Second
	// A group of its own: what the script leaves can be killed without
	// touching the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A test binary started with SIGINT ignored (in the background of a
	// shell without job control) would pass that on, and bash cannot
	// trap an ignored signal: handling it here makes the child's default.
	if signal.Ignored(syscall.SIGINT) {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGINT)
		defer signal.Reset(syscall.SIGINT)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// exitCode waits for cmd and returns its exit status. A script that does
// not end within a minute (a signal it let wait for its command) fails the
// test, and its process group is killed.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%s did not end within a minute", filepath.Base(cmd.Path))
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// waitReady waits until the fake command runs (it writes its pid to
// ready) and returns the pid. The limit is only for a script that never
// gets there; it is not what the test measures.
func (r *repo) waitReady(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(r.state, "ready")); err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if gone(cmd.Process.Pid) {
			break
		}
	}
	cmd.Process.Kill()
	code := exitCode(t, cmd)
	t.Fatalf("the fake command never ran (the script exited %d); stderr:\n%s", code, stderr)
	return 0
}

func (r *repo) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(r.state, name))
	return string(b)
}

// gone reports whether pid has exited (or is a zombie nobody reaped).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// TestInterrupted sends SIGINT or SIGTERM to scripts/test while its native
// conformance step runs, and to scripts/kick-stress in its second run: the
// signal reaches the running command, the script stops there (no verdict,
// no further run), says "interrupted" and exits 130 or 143.
func TestInterrupted(t *testing.T) {
	for _, tc := range []struct {
		script string
		args   []string
		suites []string
	}{
		{"test", nil, []string{"abi", "kick"}},
		{"kick-stress", []string{"--runs", "3", "--no-load"}, []string{"kick"}},
	} {
		for _, sig := range []struct {
			s    syscall.Signal
			name string
			code int
		}{{syscall.SIGTERM, "TERM", 143}, {syscall.SIGINT, "INT", 130}} {
			t.Run(tc.script+"/"+sig.name, func(t *testing.T) {
				scenario := "hang-at-1"
				if tc.script == "kick-stress" {
					scenario = "hang-at-2"
				}
				r := newRepo(t, scenario, tc.suites...)
				cmd, stdout, stderr := r.start(t, tc.script, tc.args...)
				pid := r.waitReady(t, cmd, stderr)
				// The fake and its sleep go, whatever happens (never this
				// test's own group).
				if pgid, err := syscall.Getpgid(pid); err == nil && pgid != syscall.Getpgrp() {
					defer syscall.Kill(-pgid, syscall.SIGKILL)
				}
				logBefore := r.read("go.log")
				if err := cmd.Process.Signal(sig.s); err != nil {
					t.Fatal(err)
				}
				code := exitCode(t, cmd)
				msg := "scripts/" + tc.script + ": interrupted"
				if code != sig.code || !strings.Contains(stderr.String(), msg) {
					t.Fatalf("exit %d, want %d and %q; stdout:\n%s\nstderr:\n%s", code, sig.code, msg, stdout, stderr)
				}
				if got := r.read("signals"); got != sig.name+"\n" {
					t.Errorf("the running command got %q, want %s", got, sig.name)
				}
				if !gone(pid) {
					t.Errorf("the running command (pid %d) outlived the script", pid)
				}
				if after := r.read("go.log"); after != logBefore {
					t.Errorf("the script went on after the signal: %q", strings.TrimPrefix(after, logBefore))
				}
				if n := r.read("calls"); tc.script == "kick-stress" && n != "2\n" {
					t.Errorf("kick suite ran %q times", n)
				}
			})
		}
	}
}

// TestSuiteThatDidNotReport plants a ginkgo whose suite was SIGTERMed: it
// exits 0, "Test Suite Passed", with a run missing its report. kick-stress
// must fail. (scripts/test's native step is `kvmconform run`, which runs
// every area itself and fails when one did not report: cmd/kvmconform's
// TestRunInterrupted plants that.)
func TestSuiteThatDidNotReport(t *testing.T) {
	t.Run("kick-stress", func(t *testing.T) {
		r := newRepo(t, "silent-at-2", "kick")
		cmd, stdout, stderr := r.start(t, "kick-stress", "--runs", "3", "--no-load")
		code := exitCode(t, cmd)
		want := "scripts/kick-stress: run 2 of 3 did not pass (the suite exited with status 0)"
		if code != 1 || !strings.Contains(stderr.String(), want) || r.read("calls") != "2\n" {
			t.Fatalf("exit %d, calls %q; want 1 and %q; stdout:\n%s\nstderr:\n%s", code, r.read("calls"), want, stdout, stderr)
		}
	})
	t.Run("kick-stress passes", func(t *testing.T) {
		r := newRepo(t, "pass", "kick")
		cmd, stdout, stderr := r.start(t, "kick-stress", "--runs", "3", "--no-load")
		code := exitCode(t, cmd)
		if code != 0 || !strings.Contains(stdout.String(), "the kick suite passed 3 times in a row") || r.read("calls") != "3\n" {
			t.Fatalf("exit %d, calls %q; stdout:\n%s\nstderr:\n%s", code, r.read("calls"), stdout, stderr)
		}
	})
}
