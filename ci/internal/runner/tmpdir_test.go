package runner

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runnerHelperEnv makes the test binary the runner of
// TestKilledRunnerDirectorySwept.
const runnerHelperEnv = "KVMCONFORM_TEST_RUNNER_HELPER"

// TestHelperRunnerProcess is not a test: run with runnerHelperEnv set, it
// is a runner that prints its temporary directory and waits to be killed.
func TestHelperRunnerProcess(t *testing.T) {
	if os.Getenv(runnerHelperEnv) != "1" {
		t.Skip("helper process for TestKilledRunnerDirectorySwept")
	}
	r, err := New(Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(r.tmp, "initrd.cpio"), bytes.Repeat([]byte("x"), 1<<20), 0o644)
	fmt.Printf("runner-tmp %s\n", r.tmp)
	time.Sleep(time.Hour)
}

// TestKilledRunnerDirectorySwept plants a runner killed with SIGKILL (no
// Close): the next runner removes the directory it left, and leaves alone
// the directories of a runner that still runs and those of the old form,
// whose owner it cannot tell.
func TestKilledRunnerDirectorySwept(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRunnerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), runnerHelperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var killed string
	for sc := bufio.NewScanner(out); sc.Scan(); {
		if d, ok := strings.CutPrefix(sc.Text(), "runner-tmp "); ok {
			killed = d
			break
		}
	}
	if killed == "" || filepath.Dir(killed) != tmp {
		t.Fatalf("helper runner's directory: %q", killed)
	}

	// While the helper runs, its directory is not swept.
	live, err := New(Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); err != nil {
		t.Fatalf("a running runner's directory was swept: %v", err)
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	legacy := filepath.Join(tmp, "kvmconform-ci-123456789")
	other := filepath.Join(tmp, "kvmconform-ci-1-2") // a file, not a runner's
	os.Mkdir(legacy, 0o700)
	os.WriteFile(other, nil, 0o644)

	var log bytes.Buffer
	r, err := New(Options{Timeout: time.Minute, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("the killed runner's directory %s was not removed (%v)", killed, err)
	}
	if !strings.Contains(log.String(), "ci: removed "+killed+", left by a runner that is gone") {
		t.Errorf("log: %q", log.String())
	}
	for _, d := range []string{live.tmp, legacy, other, r.tmp} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
	for _, x := range []*Runner{r, live} {
		if err := x.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(x.tmp); !os.IsNotExist(err) {
			t.Errorf("Close left %s", x.tmp)
		}
	}
}

// TestTempDirLock: a runner's directory cannot be locked by another (a
// sweeper) while the runner holds it, and can once it is released.
func TestTempDirLock(t *testing.T) {
	d, lock, err := makeTempDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if l2, err := lockDir(d); err == nil {
		l2.Close()
		t.Fatal("a locked directory was locked twice")
	}
	if removed, _ := sweepTempDirs(filepath.Dir(d)); len(removed) != 0 {
		t.Fatalf("swept %v", removed)
	}
	lock.Close()
	if removed, _ := sweepTempDirs(filepath.Dir(d)); len(removed) != 1 || removed[0] != d {
		t.Fatalf("swept %v, want %s", removed, d)
	}
}
