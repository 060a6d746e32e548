package harness

import (
	"context"
	"fmt"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/internal/stress"
)

// StressEntry names the report entry every stress spec (label "stress")
// adds: a StressReport, the budget it ran with and the iterations it
// achieved.
const StressEntry = "stress"

// StressBudget is the stress specs' budget from $KVMCONFORM_STRESS
// (stress.Env): the full, native depth when it is unset, which is how the
// suites run on hardware; the QEMU runner sets a time cap for its guests
// (ci run --stress). An invalid value is reported by CheckStress and
// counts as full here.
func StressBudget() stress.Budget {
	b, err := stress.Parse(os.Getenv(stress.Env))
	if err != nil {
		return stress.Full
	}
	return b
}

// CheckStress fails the suite set-up when $KVMCONFORM_STRESS is set to
// something that is not a budget.
func CheckStress() {
	if _, err := stress.Parse(os.Getenv(stress.Env)); err != nil {
		Fail(fmt.Sprintf("%s: %v", stress.Env, err))
	}
}

// StressLoop counts a stress spec's iterations against its native depth (a
// count, and a time cap or none) and the budget (StressBudget). Use it as
//
//	loop := harness.NewStressLoop("kicks", 10000, 10*time.Second)
//	defer loop.Report()
//	for loop.Next(ctx) { ... iteration loop.N()-1 ... }
//
// Every iteration is checked the same way whatever the budget: the budget
// changes how many run, never what each asserts.
type StressLoop struct {
	unit       string
	limit      int
	nativeCap  time.Duration
	budget     stress.Budget
	cap        time.Duration
	start, end time.Time
	n          int
	stopped    string
	// now is the clock (time.Now; tests set their own).
	now func() time.Time
}

// NewStressLoop starts the clock of a stress loop of at most limit
// iterations (unit names them in the report: "kicks") whose native time
// cap is nativeCap (0: none).
func NewStressLoop(unit string, limit int, nativeCap time.Duration) *StressLoop {
	return newStressLoop(unit, limit, nativeCap, StressBudget(), time.Now)
}

func newStressLoop(unit string, limit int, nativeCap time.Duration, b stress.Budget, now func() time.Time) *StressLoop {
	return &StressLoop{unit: unit, limit: limit, nativeCap: nativeCap, budget: b, cap: b.CapFor(nativeCap), start: now(), now: now}
}

// Next reports whether to run another iteration and counts it: not when
// the loop has run its limit, when the next iteration would end past its
// time cap at the pace of those so far (after at least one iteration: a
// repetition of MP-X9 takes seconds under TCG, and a cap is not a cap if
// the loop starts one more just before it), or when ctx has ended (the run
// is interrupted).
func (l *StressLoop) Next(ctx context.Context) bool {
	if l.stopped != "" {
		return false
	}
	elapsed := l.now().Sub(l.start)
	switch {
	case l.n >= l.limit:
		l.stopped = "count"
	case ctx.Err() != nil:
		l.stopped = "interrupted"
	case l.cap > 0 && l.n > 0 && elapsed+elapsed/time.Duration(l.n) > l.cap:
		l.stopped = "cap"
	default:
		l.n++
		return true
	}
	l.end = l.now()
	return false
}

// N is how many iterations Next has started.
func (l *StressLoop) N() int { return l.n }

// Budget is the budget the loop runs with.
func (l *StressLoop) Budget() stress.Budget { return l.budget }

// Report adds the StressEntry report entry: the budget, the native depth
// and the iterations achieved. Deferred, it also reports how far a loop
// that failed got.
func (l *StressLoop) Report() {
	AddReportEntry(StressEntry, l.result())
}

func (l *StressLoop) result() StressReport {
	end, stopped := l.end, l.stopped
	if stopped == "" { // a failed iteration ended the loop
		end, stopped = l.now(), "failed"
	}
	r := StressReport{Unit: l.unit, Budget: l.budget.String(), Iterations: l.n, Limit: l.limit,
		Seconds: end.Sub(l.start).Seconds(), StoppedBy: stopped}
	if l.nativeCap > 0 {
		r.NativeCap = l.nativeCap.String()
	}
	if l.cap > 0 {
		r.Cap = l.cap.String()
	}
	return r
}

// StressReport is a stress spec's report entry (StressEntry): its JSON
// for tools, its String for readers.
type StressReport struct {
	// Unit names the iterations ("kicks").
	Unit string `json:"unit"`
	// Budget is the budget the spec ran with (stress.Budget.String:
	// "full" or the cap, "3s").
	Budget string `json:"budget"`
	// Iterations is how many ran, Limit the native count.
	Iterations int `json:"iterations"`
	Limit      int `json:"limit"`
	// NativeCap is the spec's own time cap ("" if none), Cap the one it
	// ran with ("" if none).
	NativeCap string `json:"nativeCap,omitempty"`
	Cap       string `json:"cap,omitempty"`
	// Seconds is how long the iterations took.
	Seconds float64 `json:"seconds"`
	// StoppedBy is what ended the loop: "count" (the native count),
	// "cap" (the time cap), "interrupted" or "failed" (an iteration
	// failed the spec).
	StoppedBy string `json:"stoppedBy"`
}

// String says it in one line, e.g. "1234 of 10000 kicks in 3s, stopped by
// the 3s cap of the stress budget (KVMCONFORM_STRESS=3s; full depth: 10000
// kicks or 10s)".
func (r StressReport) String() string {
	took := (time.Duration(r.Seconds * float64(time.Second))).Round(time.Millisecond)
	s := fmt.Sprintf("%d of %d %s in %s", r.Iterations, r.Limit, r.Unit, took)
	if r.StoppedBy == "count" {
		s = fmt.Sprintf("%d %s in %s", r.Iterations, r.Unit, took)
	}
	switch r.StoppedBy {
	case "cap":
		if r.Budget == "full" {
			s += ", stopped by the spec's own " + r.Cap + " cap"
		} else {
			s += ", stopped by the " + r.Cap + " cap of the stress budget"
		}
	case "interrupted":
		s += ", interrupted"
	case "failed":
		s += ", stopped by the failure of the last one"
	}
	full := fmt.Sprintf("%d %s", r.Limit, r.Unit)
	if r.NativeCap != "" {
		full += " or " + r.NativeCap
	}
	if r.Budget == "full" {
		return s + " (full depth: " + full + ")"
	}
	return s + " (" + stress.Env + "=" + r.Budget + "; full depth: " + full + ")"
}
