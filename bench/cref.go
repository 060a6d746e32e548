package bench

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CSource is the C reference program, bench/cref/kvmbench.c.
//
//go:embed cref/kvmbench.c
var CSource []byte

// CFlags are the compiler flags of the C reference (static, so the binary
// also runs in the QEMU guests' bare initramfs).
var CFlags = []string{"-O2", "-pthread", "-static"}

// BuildC compiles the C reference with cc (e.g. "gcc", or a cross compiler
// "aarch64-linux-gnu-gcc") into dir and returns the binary's path and the
// compiler's version line.
func BuildC(ctx context.Context, cc, dir string) (bin, version string, err error) {
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

// RunC runs the C reference binary on the guests of archName (written as
// RAM images into dir) with cfg and parses its results.
func RunC(ctx context.Context, bin, dir, archName, device string, cfg Config) ([]Result, error) {
	cfg = cfg.WithDefaults()
	args := []string{"-device", device, "-n", fmt.Sprint(cfg.N), "-kicks", fmt.Sprint(cfg.Kicks),
		"-warmup", fmt.Sprint(cfg.Warmup), "-seed", fmt.Sprint(cfg.Seed)}
	var base uint64
	for _, sc := range []struct{ scenario, flag, entryFlag string }{
		{"exit-loop", "-exit-loop", "-exit-entry"},
		{"spin", "-spin", "-spin-entry"},
	} {
		ram, b, entry, err := RAMImage(archName, sc.scenario)
		if err != nil {
			return nil, err
		}
		base = b
		f := filepath.Join(dir, sc.scenario+".ram")
		if err := os.WriteFile(f, ram, 0o644); err != nil {
			return nil, fmt.Errorf("writing guest RAM: %w", err)
		}
		args = append(args, sc.flag, f, sc.entryFlag, fmt.Sprintf("%#x", entry))
	}
	args = append(args, "-ram-base", fmt.Sprintf("%#x", base))
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	res, perr := ParseResults(stdout.Bytes())
	if runErr != nil {
		return res, fmt.Errorf("C reference: %w: %s", runErr, firstLine(stderr.String()))
	}
	return res, perr
}

// ParseResults reads one JSON Result per line.
func ParseResults(data []byte) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Result
		if err := json.Unmarshal(line, &r); err != nil {
			return out, fmt.Errorf("C reference output %q: %w", line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}
