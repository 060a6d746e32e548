package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// fakeQEMU puts a stand-in for a's QEMU first in PATH that prints console
// and exits with status 1 (--version answers).
func fakeQEMU(t *testing.T, console string) target.Arch {
	t.Helper()
	a, _ := target.Parse("amd64")
	m, _ := qemu.For(a)
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'QEMU emulator version 0 (fake)'; exit 0; }\ncat <<'EOF'\n" + console + "\nEOF\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, m.Binary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return a
}

// TestBootOutputUnwritable plants an output directory that cannot be made
// (below a regular file) and a guest that panics: the row's error names
// both, the panic first, instead of the output's error alone. QEMU is a
// stand-in that prints the panic.
func TestBootOutputUnwritable(t *testing.T) {
	a := fakeQEMU(t, "[    2.1] Kernel panic - not syncing: planted panic")
	dir := t.TempDir()
	img := filepath.Join(dir, "vmlinuz")
	init := filepath.Join(dir, "init")
	os.WriteFile(img, []byte("kernel"), 0o644)
	os.WriteFile(init, []byte("init"), 0o755)
	blocker := filepath.Join(dir, "a-file")
	os.WriteFile(blocker, nil, 0o644)
	r, err := New(Options{Out: filepath.Join(blocker, "qemu"), Timeout: time.Hour, Init: init})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row := r.Boot(t.Context(), Target{Arch: a, Kernel: img})
	msg := ""
	if row.Err != nil {
		msg = row.Err.Error()
	}
	panicAt, outAt := strings.Index(msg, "kernel panic: Kernel panic - not syncing: planted panic"), strings.Index(msg, "output directory: mkdir "+blocker+": not a directory")
	if panicAt < 0 || outAt < panicAt {
		t.Fatalf("err = %q, want the panic, then the output error", msg)
	}
	line := ProgressLine(row)
	if strings.Contains(line, "\n") || !strings.Contains(line, "planted panic") || !strings.Contains(line, "not a directory") {
		t.Errorf("progress line %q", line)
	}
}

// fakeBoots puts a stand-in for a's QEMU first in PATH whose n-th run
// prints consoles[n-1] and exits 1, or, for "HANG", prints a firmware
// banner and sleeps.
func fakeBoots(t *testing.T, consoles ...string) target.Arch {
	t.Helper()
	a, _ := target.Parse("amd64")
	m, _ := qemu.For(a)
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'QEMU emulator version 0 (fake)'; exit 0; }\n" +
		"echo x >> " + filepath.Join(dir, "boots") + "\nn=$(wc -l < " + filepath.Join(dir, "boots") + ")\n"
	for i, c := range consoles {
		if c == "HANG" {
			c = "OpenSBI v1.2\nBoot HART ID : 0\nEOF\nexec sleep 3600\nEOF"
		}
		script += fmt.Sprintf("if [ $n -eq %d ]; then\ncat <<'EOF'\n%s\nEOF\nexit 1\nfi\n", i+1, c)
	}
	if err := os.WriteFile(filepath.Join(dir, m.Binary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return a
}

// hangWatch is a console writer that passes a token to hung for every
// firmware banner a hanging fake boot prints.
type hangWatch struct{ hung chan struct{} }

func (w hangWatch) Write(p []byte) (int, error) {
	for range strings.Count(string(p), "Boot HART ID") {
		w.hung <- struct{}{}
	}
	return len(p), nil
}

// bootDeadlineAfterBanner is a clock on which the boot deadline (the
// second timer of each qemu.Run) comes once that boot has printed its
// banner, if it hangs, and no other timer ever does: no verdict depends
// on how fast the script runs.
func bootDeadlineAfterBanner(w hangWatch) func(time.Duration) <-chan time.Time {
	var calls atomic.Int32
	return func(time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		if calls.Add(1)%2 == 0 {
			go func() { <-w.hung; c <- time.Now() }()
		}
		return c
	}
}

// TestBootAgainBeforeTheInit: a guest whose kernel does not reach the init
// by the boot deadline is killed and booted once more; the row says so
// and reports the second boot (here a planted panic after the init's
// first line). Two such boots fail the row with one line.
func TestBootAgainBeforeTheInit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		boots   []string
		hangs   int // boots that hang
		wantErr string
	}{
		{"second boot reaches the init", []string{"HANG", "kvmconform-init: up 0.50 s after the kernel started\n[    2.1] Kernel panic - not syncing: planted panic"}, 1,
			"kernel panic: Kernel panic - not syncing: planted panic"},
		{"no boot reaches the init", []string{"HANG", "HANG"}, 2,
			"guest hang before the init: no init line within 2m0s of each of 2 boots, QEMU killed; console tail: OpenSBI v1.2 | Boot HART ID : 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fakeBoots(t, tc.boots...)
			dir := t.TempDir()
			img, init := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "init")
			os.WriteFile(img, []byte("kernel"), 0o644)
			os.WriteFile(init, []byte("init"), 0o755)
			r, err := New(Options{Out: filepath.Join(dir, "out"), Timeout: 2 * time.Hour, Init: init})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			w := hangWatch{hung: make(chan struct{}, 4)}
			r.opt.Console = w
			r.after = bootDeadlineAfterBanner(w)
			row := r.Boot(t.Context(), Target{Arch: a, Kernel: img})
			if row.Err == nil || !strings.Contains(row.Err.Error(), tc.wantErr) || strings.Contains(row.Err.Error(), "\n") {
				t.Fatalf("row error %v, want one line with %q", row.Err, tc.wantErr)
			}
			if tc.hangs == 1 && !strings.Contains(row.Remark, "booted 2 times") {
				t.Errorf("remark %q, want it to say the row booted twice", row.Remark)
			}
			var meta Metadata
			data, err := os.ReadFile(filepath.Join(row.Dir, "metadata.json"))
			if err == nil {
				err = json.Unmarshal(data, &meta)
			}
			if err != nil || len(meta.EarlierBoots) != 1 || !strings.Contains(meta.EarlierBoots[0], "boot 1 did not reach the init within 2m0s, QEMU killed (console tail: OpenSBI v1.2 | Boot HART ID : 0)") {
				t.Errorf("metadata earlierBoots %q (%v)", meta.EarlierBoots, err)
			}
		})
	}
}
