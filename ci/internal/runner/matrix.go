package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/kernel"
	"github.com/kvmconform/kvmconform/ci/internal/nice"
	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/target"
	"github.com/kvmconform/kvmconform/ci/internal/variant"
)

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// MatrixTargets are the boots of the CI matrix: amd64, arm64 and ppc64le on
// Debian bookworm (6.1) and trixie (6.12), riscv64 on trixie only, each
// architecture's default followed by its variants (package variant) on
// their releases or on their own kernel (ppc64le Book3S PR on the kernel
// the runner builds, build:ppc64le-pr).
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
		for _, v := range variant.Of(a.GOARCH) {
			if v.Name == "" || !v.InMatrix() {
				continue
			}
			for _, rel := range v.Releases {
				ts = append(ts, Target{Arch: a, Kernel: "debian:" + rel, Variant: v.Name})
			}
			if v.Kernel != "" {
				ts = append(ts, Target{Arch: a, Kernel: v.Kernel, Variant: v.Name})
			}
		}
	}
	return ts
}

// MatrixUnavailable are the variants that cannot run on this machine, or
// not with a Debian kernel and have no kernel of their own
// (variant.Variant.Note): the matrix lists each as a row whose note says
// why (Boot returns it without booting).
func MatrixUnavailable() []Target {
	var ts []Target
	for _, v := range variant.All() {
		if v.Note() == "" {
			continue
		}
		a, err := target.Parse(v.GOARCH)
		if err != nil {
			continue
		}
		ts = append(ts, Target{Arch: a, Variant: v.Name})
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

// MatrixOptions choose how a matrix runs.
type MatrixOptions struct {
	// Jobs is how many rows run at once (default 1: one QEMU at a time).
	// Kernel downloads and builds still happen one at a time, and so
	// does the build of one GOARCH's binaries; only the boots overlap.
	Jobs int
	// Shard selects a deterministic slice of the matrix (the zero value:
	// all of it).
	Shard Shard
}

// Shard is slice Index (1-based) of Count of the matrix: the entries
// whose position, in matrix order, is Index-1 modulo Count. Every entry
// belongs to exactly one shard, and the shards of one Count are about
// equal in size and mix boots with cross-only rows.
type Shard struct{ Index, Count int }

// ParseShard reads "i/n" (1 ≤ i ≤ n).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	switch {
	case !ok || err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("shard %q: want i/n, e.g. 2/3", s)
	case n < 1 || i < 1 || i > n:
		return Shard{}, fmt.Errorf("shard %q: want 1 <= i <= n", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Has reports whether the entry at position k (0-based, matrix order)
// belongs to the shard.
func (s Shard) Has(k int) bool { return s.Count <= 1 || k%s.Count == s.Index-1 }

// String renders the shard as i/n.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// matrixEntry is one row of the matrix: a boot (or an unavailable
// variant's note) or a cross-only build.
type matrixEntry struct {
	target *Target      // a boot
	cross  *target.Arch // or an architecture that is only cross-built
}

// MatrixEntries lists the rows of the matrix in order (boots first, then
// the cross-only architectures, then the unavailable variants), as names
// like "amd64 debian:bookworm", "arm64 debian:trixie nvhe", "s390x" or
// "amd64 intel", for --shard to be checked against.
func MatrixEntries() []string {
	var names []string
	for _, e := range matrixEntries() {
		if e.target != nil {
			names = append(names, entryName(*e.target))
		} else {
			names = append(names, e.cross.GOARCH)
		}
	}
	return names
}

// entryName is "<arch> [<kernel>] [<variant>]".
func entryName(t Target) string {
	name := t.Arch.GOARCH
	for _, s := range []string{t.Kernel, t.Variant} {
		if s != "" {
			name += " " + s
		}
	}
	return name
}

func matrixEntries() []matrixEntry {
	var es []matrixEntry
	for _, t := range MatrixTargets() {
		es = append(es, matrixEntry{target: &t})
	}
	for _, a := range MatrixCrossOnly() {
		es = append(es, matrixEntry{cross: &a})
	}
	for _, t := range MatrixUnavailable() {
		es = append(es, matrixEntry{target: &t})
	}
	return es
}

// Matrix boots every target of the shard (opt.Jobs at a time), then
// cross-builds and vets the architectures without an emulation path. It
// prints one progress line per finished row to progress and returns the
// rows in matrix order.
//
// What only a cold run does starts at once, ahead of the rows that need
// it (see startAhead): every row's kernel download, one after the other,
// and at the lowest CPU priority the cross-builds, then the kernel builds
// and the cross-only rows' vets. The rows run in matrix order, except
// that those on a kernel the runner builds run last (runOrder), to give
// that build the other rows' time.
func (r *Runner) Matrix(ctx context.Context, progress io.Writer, opt MatrixOptions) []results.Row {
	var es []matrixEntry
	for k, e := range matrixEntries() {
		if opt.Shard.Has(k) {
			es = append(es, e)
		}
	}
	order := runOrder(es)
	actx, stop := context.WithCancel(ctx)
	r.ahead = r.startAhead(actx, es, order)
	defer func() {
		// Every row has taken what it needed: what is left (a row
		// that failed before its kernel) is not needed.
		stop()
		r.ahead.wait()
		r.ahead = nil
	}()
	return runMatrix(ctx, len(es), opt.Jobs, progress, order, func(ctx context.Context, i int) results.Row {
		if t := es[i].target; t != nil {
			return r.Boot(ctx, *t)
		}
		return r.CrossOnly(ctx, *es[i].cross)
	})
}

// runOrder is the order in which the matrix runs its entries: matrix
// order, with the boots on a kernel the runner builds (build:<recipe>)
// moved to the end, so that the build, started ahead at a low priority,
// has the time of every other row.
func runOrder(es []matrixEntry) []int {
	var order, last []int
	for i, e := range es {
		if e.target != nil && strings.HasPrefix(e.target.Kernel, kernel.BuildPrefix) {
			last = append(last, i)
		} else {
			order = append(order, i)
		}
	}
	return append(order, last...)
}

// vetJob names the job of ahead that builds and vets a cross-only GOARCH.
func vetJob(goarch string) string { return "vet " + goarch }

// kernelJob names the job of ahead that resolves t's kernel.
func kernelJob(t Target) string { return "kernel " + t.Dir() }

// startAhead starts, in the order the rows will run (order), the work
// that only a cold run has to do and that the rows would otherwise do one
// at a time, each when it starts: in one lane every row's Debian kernel
// (apt-get update, the download; bound by the network), in another the
// cross-builds of each booted GOARCH's binaries, and after them, in a
// third, the build:<recipe> kernels and beside those, in a fourth, the
// cross-only rows' builds and vets (all at nice.Lowest, so that they take
// what CPU the running guest leaves). A warm run finds all of it cached
// and does next to nothing here. Rows that boot nothing (the notes) or whose
// emulator is missing get nothing ahead: they fail or note as before.
func (r *Runner) startAhead(ctx context.Context, es []matrixEntry, order []int) *ahead {
	gb := r.buildLow
	if gb == nil {
		gb = r.build
	}
	kb := r.kbuildLow
	if kb == nil {
		kb = r.kbuild
	}
	var builds, vets, fetches, kernels []laneJob
	var what []string
	built := map[string]bool{}
	prepare := func(goarch string, crossOnly bool) {
		if built[goarch] || gb == nil {
			return
		}
		built[goarch] = true
		if !crossOnly {
			builds = append(builds, laneJob{run: func(ctx context.Context) (any, error) {
				_, err := r.binariesWith(ctx, goarch, gb)
				return nil, err
			}})
			return
		}
		// A cross-only row's build and vet (a minute or more per
		// GOARCH when cold), whose result the row takes.
		vets = append(vets, laneJob{key: vetJob(goarch), run: func(ctx context.Context) (any, error) {
			return nil, r.buildAndVet(ctx, goarch, gb)
		}})
	}
	for _, i := range order {
		e := es[i]
		if e.cross != nil {
			prepare(e.cross.GOARCH, true)
			continue
		}
		t := *e.target
		v, err := variant.Lookup(t.Arch.GOARCH, t.Variant)
		if err != nil || t.Kernel == "" || v.UnavailableFor(t.Kernel) != "" {
			continue
		}
		if _, err := r.emulator(t); err != nil {
			continue
		}
		prepare(t.Arch.GOARCH, false)
		job := laneJob{key: kernelJob(t)}
		switch {
		case strings.HasPrefix(t.Kernel, kernel.BuildPrefix):
			job.run = func(ctx context.Context) (any, error) { return r.kernel(ctx, t, kb) }
			kernels = append(kernels, job)
			what = append(what, t.Kernel)
		case strings.HasPrefix(t.Kernel, "debian:"):
			job.run = func(ctx context.Context) (any, error) { return r.Kernel(ctx, t) }
			fetches = append(fetches, job)
		}
	}
	a := newAhead()
	if len(builds)+len(vets)+len(fetches)+len(kernels) == 0 {
		return a
	}
	r.logf("ahead of the rows: %d Debian kernel(s) (cached or downloaded); the binaries of %d GOARCH(es)%s, built at nice %d; then the vet of %d cross-only GOARCH(es)",
		len(fetches), len(builds), strings.Join(append([]string{""}, what...), " and "), nice.Lowest, len(vets))
	a.lane(ctx, nil, fetches)
	crossBuilt := a.lane(ctx, nil, builds)
	a.lane(ctx, crossBuilt, kernels)
	a.lane(ctx, crossBuilt, vets)
	return a
}

// runMatrix runs row(i) for each i in order (0..n-1 if order is nil),
// jobs at a time, and returns the rows in index order; a row not started
// because ctx ended is left out.
func runMatrix(ctx context.Context, n, jobs int, progress io.Writer, order []int, row func(context.Context, int) results.Row) []results.Row {
	jobs = max(jobs, 1)
	if order == nil {
		for i := range n {
			order = append(order, i)
		}
	}
	rows := make([]results.Row, n)
	ran := make([]bool, n)
	var mu sync.Mutex
	finished := 0
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for _, i := range order {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := row(ctx, i)
			mu.Lock()
			defer mu.Unlock()
			rows[i], ran[i] = r, true
			finished++
			fmt.Fprintf(progress, "[%d/%d] %s\n", finished, n, ProgressLine(r))
		}()
	}
	wg.Wait()
	var out []results.Row
	for i := range rows {
		if ran[i] {
			out = append(out, rows[i])
		}
	}
	return out
}

// ProgressLine describes one finished row in one line.
func ProgressLine(row results.Row) string {
	what := row.Label()
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
