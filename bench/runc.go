package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kvmconform/kvmconform/bench/cref"
	"github.com/kvmconform/kvmconform/bench/report"
)

// RunC runs the C reference binary on the guests of archName (written as
// RAM images into dir) with cfg and parses its results.
func RunC(ctx context.Context, bin, dir, archName, device string, cfg report.Config) ([]report.Result, error) {
	cfg = cfg.WithDefaults()
	args := []string{"-device", device, "-n", fmt.Sprint(cfg.N), "-kicks", fmt.Sprint(cfg.Kicks),
		"-warmup", fmt.Sprint(cfg.Warmup), "-seed", fmt.Sprint(cfg.Seed)}
	if cfg.CPU >= 0 {
		args = append(args, "-cpu", fmt.Sprint(cfg.CPU))
	}
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
	res, perr := cref.ParseResults(stdout.Bytes())
	if runErr != nil {
		return res, fmt.Errorf("C reference: %w: %s", runErr, firstLine(stderr.String()))
	}
	return res, perr
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
