package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kvmconform/kvmconform/ci/internal/kernel"
	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/results"
)

// TestAheadLanes: a lane runs its jobs in order, one at a time; take
// waits for a job's result, and gets each result once; a lane with an
// after channel starts when it is closed. Nothing here depends on how
// fast anything runs: the jobs wait for what the test releases.
func TestAheadLanes(t *testing.T) {
	a := newAhead()
	var mu sync.Mutex
	var log []string
	note := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	release := map[string]chan struct{}{"a1": make(chan struct{}), "a2": make(chan struct{}), "b1": make(chan struct{})}
	job := func(key string) laneJob {
		return laneJob{key: key, run: func(ctx context.Context) (any, error) {
			note("start " + key)
			<-release[key]
			note("end " + key)
			if key == "a2" {
				return nil, errors.New("a2 failed")
			}
			return "val " + key, nil
		}}
	}
	aDone := a.lane(t.Context(), nil, []laneJob{job("a1"), job("a2")})
	bDone := a.lane(t.Context(), aDone, []laneJob{job("b1")})

	close(release["a1"])
	if v, ok, err := a.take(t.Context(), "a1"); !ok || err != nil || v != "val a1" {
		t.Fatalf("take a1 = %v, %v, %v", v, ok, err)
	}
	if _, ok, _ := a.take(t.Context(), "a1"); ok {
		t.Error("a1 taken twice")
	}
	if _, ok, _ := a.take(t.Context(), "nobody"); ok {
		t.Error("took a job no lane has")
	}
	// b1 waits for lane a, which waits for a2.
	close(release["b1"])
	close(release["a2"])
	if _, ok, err := a.take(t.Context(), "a2"); !ok || err == nil || err.Error() != "a2 failed" {
		t.Fatalf("take a2 = %v, %v", ok, err)
	}
	if v, ok, err := a.take(t.Context(), "b1"); !ok || err != nil || v != "val b1" {
		t.Fatalf("take b1 = %v, %v, %v", v, ok, err)
	}
	<-bDone
	a.wait()
	want := []string{"start a1", "end a1", "start a2", "end a2", "start b1", "end b1"}
	if !slices.Equal(log, want) {
		t.Errorf("ran %v, want %v", log, want)
	}
	var none *ahead
	if _, ok, _ := none.take(t.Context(), "a1"); ok {
		t.Error("a nil ahead has a job")
	}
}

// TestAheadCancelled: when the lanes' context ends, the running job sees
// it, the jobs after it end with its error without running, a lane waiting
// for another gives up, and wait returns; a take whose own context ends
// stops waiting.
func TestAheadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	a := newAhead()
	started := make(chan struct{})
	var ran atomic.Int32
	never := make(chan struct{})
	a.lane(ctx, nil, []laneJob{
		{key: "running", run: func(ctx context.Context) (any, error) {
			close(started)
			<-ctx.Done()
			return nil, fmt.Errorf("download: %w", ctx.Err())
		}},
		{key: "next", run: func(context.Context) (any, error) { ran.Add(1); return nil, nil }},
	})
	a.lane(ctx, never, []laneJob{{key: "after", run: func(context.Context) (any, error) { ran.Add(1); return nil, nil }}})

	<-started
	tctx, tcancel := context.WithCancel(t.Context())
	tcancel()
	if _, ok, err := a.take(tctx, "running"); !ok || !errors.Is(err, context.Canceled) {
		t.Errorf("take with an ended context: %v, %v", ok, err)
	}
	cancel()
	a.wait()
	for _, key := range []string{"next", "after"} {
		if _, ok, err := a.take(t.Context(), key); !ok || !errors.Is(err, context.Canceled) {
			t.Errorf("take %s after the end: %v, %v", key, ok, err)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Errorf("%d jobs ran after the context ended", n)
	}
}

// TestRunOrder: the matrix runs its rows in matrix order, but the rows on
// a kernel the runner builds last; runMatrix still returns them in matrix
// order, and starts them in the order given.
func TestRunOrder(t *testing.T) {
	es := matrixEntries()
	order := runOrder(es)
	if len(order) != len(es) {
		t.Fatalf("order %v of %d entries", order, len(es))
	}
	var names []string
	seen := map[int]bool{}
	for _, i := range order {
		if seen[i] {
			t.Fatalf("entry %d twice in %v", i, order)
		}
		seen[i] = true
		if e := es[i]; e.target != nil {
			names = append(names, entryName(*e.target))
		} else {
			names = append(names, e.cross.GOARCH)
		}
	}
	if last := names[len(names)-1]; last != "ppc64le build:ppc64le-pr pr" {
		t.Errorf("last row %q, want the built kernel's (order %v)", last, names)
	}
	var rest []string
	for _, n := range MatrixEntries() {
		if !strings.Contains(n, kernel.BuildPrefix) {
			rest = append(rest, n)
		}
	}
	if !slices.Equal(names[:len(names)-1], rest) {
		t.Errorf("the other rows run in %v, want matrix order %v", names[:len(names)-1], rest)
	}

	var started []int
	rows := runMatrix(t.Context(), 4, 1, &strings.Builder{}, []int{2, 0, 3, 1}, func(_ context.Context, i int) results.Row {
		started = append(started, i)
		return results.Row{Arch: fmt.Sprint(i)}
	})
	if !slices.Equal(started, []int{2, 0, 3, 1}) {
		t.Errorf("started %v", started)
	}
	for i, r := range rows {
		if r.Arch != fmt.Sprint(i) {
			t.Errorf("row %d is %q", i, r.Arch)
		}
	}
}

// TestMatrixBuildsKernelAhead: the matrix builds a build:<recipe> kernel
// ahead of its row with the low-priority builder, and the row takes that
// build's outcome (here a compile error, the row's one-line error) instead
// of building again; a row whose emulator is missing gets nothing ahead.
func TestMatrixBuildsKernelAhead(t *testing.T) {
	ppc := mustArch(t, "ppc64le")
	m, _ := qemu.For(ppc)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, m.Binary), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	tg := Target{Arch: ppc, Kernel: "build:ppc64le-pr", Variant: "pr"}
	amd := Target{Arch: mustArch(t, "amd64"), Kernel: "debian:bookworm"} // no qemu-system-x86_64 in PATH
	normal := &fakeBuilder{}
	low := &fakeBuilder{err: errors.New("building the ppc64le kvm-pr kernel failed (exit status 2): x.c:1: error: y; log: /c/k.log")}
	r := &Runner{opt: Options{Out: t.TempDir(), Init: "/init"}, kbuild: normal, kbuildLow: low}
	es := []matrixEntry{{target: &tg}, {target: &amd}}
	r.ahead = r.startAhead(t.Context(), es, runOrder(es))
	if _, ok, _ := r.ahead.take(t.Context(), kernelJob(amd)); ok {
		t.Error("a kernel fetched ahead for a row without its emulator")
	}
	row := r.Boot(t.Context(), tg)
	r.ahead.wait()
	if low.builds != 1 || normal.builds != 0 {
		t.Errorf("builds: %d at a low priority, %d at the row's", low.builds, normal.builds)
	}
	if row.Err == nil || !strings.Contains(row.Err.Error(), "error: y; log: /c/k.log") || strings.Contains(row.Err.Error(), "\n") {
		t.Errorf("row %+v", row)
	}
}

// TestCrossOnlyTakesItsVet: a cross-only row takes the build and vet the
// matrix ran ahead (here a vet error) instead of running its own (the
// runner here has no builder: running one would panic).
func TestCrossOnlyTakesItsVet(t *testing.T) {
	s390x := mustArch(t, "s390x")
	r := &Runner{ahead: newAhead()}
	r.ahead.lane(t.Context(), nil, []laneJob{{key: vetJob("s390x"), run: func(context.Context) (any, error) {
		return nil, errors.New("vet: ./kvm: boom")
	}}})
	row := r.CrossOnly(t.Context(), s390x)
	r.ahead.wait()
	if row.Err == nil || row.Err.Error() != "vet: ./kvm: boom" || row.Arch != "s390x" {
		t.Errorf("row %+v, want the vet error from ahead", row)
	}
}
