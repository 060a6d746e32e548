package runner

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/results"
)

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"1/1": {1, 1}, "2/3": {2, 3}, "3/3": {3, 3}} {
		if got, err := ParseShard(in); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1", "0/3", "4/3", "1/0", "a/b", "1/2/3", "-1/2", "1/ 2"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

// TestShardsPartition: for every n, each matrix entry is in exactly one
// shard, and the same shard always holds the same entries.
func TestShardsPartition(t *testing.T) {
	entries := MatrixEntries()
	if len(entries) < 9 {
		t.Fatalf("matrix entries %v", entries)
	}
	for n := 1; n <= len(entries)+1; n++ {
		seen := make([]int, len(entries))
		for i := 1; i <= n; i++ {
			sh := Shard{Index: i, Count: n}
			for k := range entries {
				if sh.Has(k) {
					seen[k]++
				}
			}
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: entry %q in %d shards", n, entries[k], c)
			}
		}
	}
	var first []string
	for k, e := range entries {
		if (Shard{Index: 1, Count: 3}).Has(k) {
			first = append(first, e)
		}
	}
	if strings.Join(first, ",") != "amd64 debian:bookworm,arm64 debian:trixie,ppc64le debian:bookworm,ppc64le debian:bookworm powernv,s390x,s390x hercules" {
		t.Errorf("shard 1/3 = %v", first)
	}
}

// TestRunMatrixJobs: rows come back in matrix order, at most jobs run at
// once, and with jobs > 1 they really overlap.
func TestRunMatrixJobs(t *testing.T) {
	for _, jobs := range []int{1, 3} {
		var running, peak, started atomic.Int32
		var progress bytes.Buffer
		rows := runMatrix(t.Context(), 7, jobs, &progress, nil, func(_ context.Context, i int) results.Row {
			started.Add(1)
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			// Hold the slot until jobs rows run at once or every row
			// has started, so the overlap does not depend on how fast
			// goroutines start (a free slot always lets another start).
			for deadline := time.Now().Add(time.Minute); running.Load() < int32(jobs) && started.Load() < 7 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			running.Add(-1)
			return results.Row{Arch: string(rune('a' + i))}
		})
		if len(rows) != 7 {
			t.Fatalf("jobs %d: %d rows", jobs, len(rows))
		}
		for i, r := range rows {
			if r.Arch != string(rune('a'+i)) {
				t.Fatalf("jobs %d: row %d is %q: out of order", jobs, i, r.Arch)
			}
		}
		if p := peak.Load(); p != int32(jobs) {
			t.Errorf("jobs %d: %d rows ran at once", jobs, p)
		}
		if got := strings.Count(progress.String(), "\n"); got != 7 || !strings.Contains(progress.String(), "[7/7] ") {
			t.Errorf("jobs %d: progress:\n%s", jobs, progress.String())
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if rows := runMatrix(ctx, 5, 2, &bytes.Buffer{}, nil, func(context.Context, int) results.Row { return results.Row{} }); len(rows) != 0 {
		t.Errorf("a cancelled matrix ran %d rows", len(rows))
	}
}

// TestMatrixUnavailableRowsBootNothing: every unavailable-variant row of
// the matrix comes back as a note without resolving a kernel or booting
// (a Runner with nothing set up would fail at the first of those).
func TestMatrixUnavailableRowsBootNothing(t *testing.T) {
	r := &Runner{}
	for _, tg := range MatrixUnavailable() {
		row := r.Boot(t.Context(), tg)
		if row.Err != nil || row.Note == "" || row.Kernel != "" {
			t.Errorf("%s: err %v, note %q, kernel %q", entryName(tg), row.Err, row.Note, row.Kernel)
		}
	}
}
