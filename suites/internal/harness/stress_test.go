package harness

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/internal/stress"
)

// clock is a fake time that moves only when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time       { return c.t }
func (c *clock) pass(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                { return &clock{t: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)} }
func loopOn(c *clock, b stress.Budget, limit int, nativeCap time.Duration) *StressLoop {
	return newStressLoop("kicks", limit, nativeCap, b, c.now)
}

// count runs l to its end, each iteration taking step on c.
func count(l *StressLoop, c *clock, step time.Duration) int {
	n := 0
	for l.Next(context.Background()) {
		n++
		c.pass(step)
	}
	return n
}

func TestStressLoopStops(t *testing.T) {
	ctx := context.Background()
	threeS := stress.Budget{Cap: 3 * time.Second}
	// Within its cap a loop runs its native count, whatever the budget.
	for _, b := range []stress.Budget{stress.Full, threeS} {
		c := newClock()
		l := loopOn(c, b, 5, 10*time.Second)
		if n := count(l, c, time.Millisecond); n != 5 || l.N() != 5 || l.stopped != "count" {
			t.Errorf("budget %s: %d iterations (N %d), stopped by %q; want 5 by the count", b, n, l.N(), l.stopped)
		}
		if l.Next(ctx) {
			t.Errorf("budget %s: Next after the end", b)
		}
	}
	// The cap: no iteration starts that would end past it at the pace
	// so far. 1 ms kicks: 3,000 of them, the last ending at 3 s.
	c := newClock()
	l := loopOn(c, threeS, 10000, 10*time.Second)
	if n := count(l, c, time.Millisecond); n != 3000 || l.stopped != "cap" {
		t.Errorf("3s cap, 1ms per kick: %d iterations, stopped by %q", n, l.stopped)
	}
	if r := l.result(); r.Seconds != 3 || r.Cap != "3s" || r.Budget != "3s" || r.NativeCap != "10s" {
		t.Errorf("result %+v", r)
	}
	// Repetitions of 1.4 s: two fit in 3 s, a third would not.
	c = newClock()
	l = loopOn(c, threeS, 20, 0)
	if n := count(l, c, 1400*time.Millisecond); n != 2 || l.stopped != "cap" {
		t.Errorf("3s cap, 1.4s per repetition: %d, stopped by %q", n, l.stopped)
	}
	// One iteration always runs, however long it takes.
	c = newClock()
	l = loopOn(c, threeS, 20, 0)
	if n := count(l, c, time.Hour); n != 1 || l.stopped != "cap" {
		t.Errorf("an iteration longer than the cap: %d, stopped by %q", n, l.stopped)
	}
	// The native cap at full depth, and none at all (MP-X9).
	c = newClock()
	l = loopOn(c, stress.Full, 10000, 10*time.Second)
	if n := count(l, c, 2*time.Millisecond); n != 5000 || l.stopped != "cap" || l.result().Cap != "10s" {
		t.Errorf("native cap: %d iterations, stopped by %q, %+v", n, l.stopped, l.result())
	}
	c = newClock()
	l = loopOn(c, stress.Full, 20, 0)
	if n := count(l, c, time.Hour); n != 20 || l.stopped != "count" || l.result().Cap != "" {
		t.Errorf("no cap: %d iterations, stopped by %q, %+v", n, l.stopped, l.result())
	}
	// An interrupt stops it before the next iteration.
	cctx, cancel := context.WithCancel(ctx)
	l = loopOn(newClock(), stress.Full, 10, 0)
	l.Next(cctx)
	cancel()
	if l.Next(cctx) || l.N() != 1 || l.stopped != "interrupted" {
		t.Errorf("interrupted: N %d, stopped by %q", l.N(), l.stopped)
	}
	// A loop that never ended: an iteration failed the spec.
	c = newClock()
	l = loopOn(c, stress.Full, 10, 0)
	l.Next(ctx)
	l.Next(ctx)
	c.pass(time.Second)
	if r := l.result(); r.StoppedBy != "failed" || r.Iterations != 2 || r.Seconds != 1 {
		t.Errorf("failed: %+v", r)
	}
}

func TestStressReportString(t *testing.T) {
	for _, c := range []struct {
		r    StressReport
		want string
	}{
		{StressReport{Unit: "kicks", Budget: "full", Iterations: 10000, Limit: 10000, NativeCap: "10s", Cap: "10s", Seconds: 2.1, StoppedBy: "count"},
			"10000 kicks in 2.1s (full depth: 10000 kicks or 10s)"},
		{StressReport{Unit: "kicks", Budget: "full", Iterations: 6543, Limit: 10000, NativeCap: "10s", Cap: "10s", Seconds: 10.0004, StoppedBy: "cap"},
			"6543 of 10000 kicks in 10s, stopped by the spec's own 10s cap (full depth: 10000 kicks or 10s)"},
		{StressReport{Unit: "kicks", Budget: "3s", Iterations: 1234, Limit: 10000, NativeCap: "10s", Cap: "3s", Seconds: 3.0002, StoppedBy: "cap"},
			"1234 of 10000 kicks in 3s, stopped by the 3s cap of the stress budget (KVMCONFORM_STRESS=3s; full depth: 10000 kicks or 10s)"},
		{StressReport{Unit: "repetitions of 1000 INIT/SIPI rounds", Budget: "3s", Iterations: 3, Limit: 20, Cap: "3s", Seconds: 3.2, StoppedBy: "cap"},
			"3 of 20 repetitions of 1000 INIT/SIPI rounds in 3.2s, stopped by the 3s cap of the stress budget (KVMCONFORM_STRESS=3s; full depth: 20 repetitions of 1000 INIT/SIPI rounds)"},
		{StressReport{Unit: "kicks", Budget: "full", Iterations: 17, Limit: 10000, NativeCap: "10s", Cap: "10s", Seconds: 0.01, StoppedBy: "failed"},
			"17 of 10000 kicks in 10ms, stopped by the failure of the last one (full depth: 10000 kicks or 10s)"},
		{StressReport{Unit: "kicks", Budget: "full", Iterations: 17, Limit: 10000, NativeCap: "10s", Cap: "10s", Seconds: 0.01, StoppedBy: "interrupted"},
			"17 of 10000 kicks in 10ms, interrupted (full depth: 10000 kicks or 10s)"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		if strings.Contains(c.r.String(), "\n") {
			t.Errorf("%q: more than one line", c.r.String())
		}
	}
}

func TestStressBudgetFromEnv(t *testing.T) {
	t.Setenv(stress.Env, "")
	if b := StressBudget(); !b.IsFull() {
		t.Errorf("unset: %v", b)
	}
	t.Setenv(stress.Env, "3s")
	if b := StressBudget(); b.Cap != 3*time.Second {
		t.Errorf("3s: %v", b)
	}
	t.Setenv(stress.Env, "quick")
	if b := StressBudget(); !b.IsFull() {
		t.Errorf("invalid (CheckStress fails the suite): %v", b)
	}
}
