package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/target"
)

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// MatrixTargets are the boots of the CI matrix: amd64, arm64 and ppc64le on
// Debian bookworm (6.1) and trixie (6.12), riscv64 on trixie only.
func MatrixTargets() []Target {
	var ts []Target
	for _, a := range target.All() {
		if !a.Bootable() {
			continue
		}
		for _, rel := range []string{"bookworm", "trixie"} {
			if a.GOARCH == "riscv64" && rel == "bookworm" {
				continue
			}
			ts = append(ts, Target{Arch: a, Kernel: "debian:" + rel})
		}
	}
	return ts
}

// MatrixCrossOnly are the architectures the matrix only cross-builds and
// vets.
func MatrixCrossOnly() []target.Arch {
	var as []target.Arch
	for _, a := range target.All() {
		if !a.Bootable() {
			as = append(as, a)
		}
	}
	return as
}

// Matrix boots every target in turn (one QEMU at a time), then cross-builds
// and vets the architectures without an emulation path. It prints one
// progress line per step to progress and returns the table rows.
func (r *Runner) Matrix(ctx context.Context, progress io.Writer) []results.Row {
	targets := MatrixTargets()
	cross := MatrixCrossOnly()
	n := len(targets) + len(cross)
	var rows []results.Row
	step := 0
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		step++
		row := r.Boot(ctx, t)
		rows = append(rows, row)
		fmt.Fprintf(progress, "[%d/%d] %s\n", step, n, ProgressLine(row))
	}
	for _, a := range cross {
		if ctx.Err() != nil {
			break
		}
		step++
		row := r.CrossOnly(ctx, a)
		rows = append(rows, row)
		fmt.Fprintf(progress, "[%d/%d] %s\n", step, n, ProgressLine(row))
	}
	return rows
}

// ProgressLine describes one finished row in one line.
func ProgressLine(row results.Row) string {
	what := row.Arch
	if row.Kernel != "" {
		what += " " + row.Kernel
	}
	wall := row.Wall.Round(100 * time.Millisecond)
	switch {
	case row.Err != nil:
		// Joined errors, one line: each of them, not only the first.
		msg := strings.ReplaceAll(row.Err.Error(), "\n", "; ")
		return fmt.Sprintf("%s: ERROR after %s: %s", what, wall, msg)
	case row.Note != "":
		return fmt.Sprintf("%s: %s (%s)", what, row.Note, wall)
	}
	line := fmt.Sprintf("%s: %s in %s", what, row.Counts, wall)
	if row.Counts.Expected > 0 {
		line += fmt.Sprintf("; %d expected failures", row.Counts.Expected)
	}
	return line
}
