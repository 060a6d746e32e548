package runner

import (
	"os"
	"path/filepath"
	"strings"
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
