// Package cref holds the C reference program of kvmconform's benchmarks
// (kvmbench.c): its source, how to build it and how to read its output.
package cref

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"github.com/kvmconform/kvmconform/bench/report"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CSource is the C reference program, bench/cref/csrc/kvmbench.c.
//
//go:embed csrc/kvmbench.c
var CSource []byte

// CFlags are the compiler flags of the C reference (static, so the binary
// also runs in the QEMU guests' bare initramfs).
var CFlags = []string{"-O2", "-pthread", "-static"}

// Build compiles the C reference with cc (e.g. "gcc", or a cross compiler
// "aarch64-linux-gnu-gcc") into dir and returns the binary's path and the
// compiler's version line.
func Build(ctx context.Context, cc, dir string) (bin, version string, err error) {
	path, err := exec.LookPath(cc)
	if err != nil {
		return "", "", fmt.Errorf("C compiler %s not found (the benchmark command installs gcc; for another architecture install its cross compiler): %w", cc, err)
	}
	src := filepath.Join(dir, "kvmbench.c")
	if err := os.WriteFile(src, CSource, 0o644); err != nil {
		return "", "", fmt.Errorf("writing the C reference: %w", err)
	}
	bin = filepath.Join(dir, "kvmbench-c")
	args := append(append([]string{}, CFlags...), "-o", bin, src)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("%s %s: %w: %s", cc, strings.Join(args, " "), err, firstLine(stderr.String()))
	}
	out, _ := exec.CommandContext(ctx, path, "--version").Output()
	return bin, cc + " " + strings.Join(CFlags, " ") + " (" + firstLine(string(out)) + ")", nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// ParseResults reads one JSON Result per line.
func ParseResults(data []byte) ([]report.Result, error) {
	var out []report.Result
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r report.Result
		if err := json.Unmarshal(line, &r); err != nil {
			return out, fmt.Errorf("C reference output %q: %w", line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}
