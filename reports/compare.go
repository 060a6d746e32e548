package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/kvmconform/kvmconform/expectations"
)

// A Change is one spec whose outcome differs between two runs.
type Change struct {
	Area, Text string
	IDs        []string
	Base, Cand Cell
}

// A Comparison is what changed from a base run (the kernel shipped) to a
// candidate (the kernel to qualify). Each spec is matched by area and full
// text; its outcome in each run is the expectations' classification there
// (a "fixed?" spec counts as passed).
//
//   - Regressions: passed in BASE, failed in CAND, whether or not an
//     expectation explains the failure in CAND. An expectation says why a
//     kernel fails, not that failing is fine for a kernel that used to
//     pass: Debian 6.12's IE-6 "bit 63" failure is a shipped expectation
//     (a known 6.12-stable bug) and still a regression from 6.1. A spec
//     that fails in both runs is not a regression (the failure is not
//     new), whether it was expected in BASE, in CAND, in both or in
//     neither; it is counted as still failing.
//   - Fixes: failed in BASE (expected or not), passed in CAND.
//   - NewSkips: checked in BASE (passed or failed), skipped in CAND: the
//     candidate lost a capability, or a spec no longer applies.
//   - NewFailures: skipped in BASE, failed in CAND (expected or not): not a
//     regression, BASE said nothing about it, but news.
//   - NowChecked: skipped in BASE, passed in CAND.
//   - Added and Removed: in one run only.
//   - Incomplete: areas of CAND that did not report completely, and CAND
//     problems (no report); their specs are not counted as removed.
//
// A comparison fails (Failed) on a regression or an incomplete CAND.
type Comparison struct {
	Base, Cand                         *Run
	Regressions, Fixes, NewSkips       []Change
	NewFailures, NowChecked            []Change
	Added, Removed                     []Change
	Incomplete                         []string
	StillFailing, Unchanged, Different int
}

// Failed says whether CAND regressed from BASE or did not report
// completely.
func (c *Comparison) Failed() bool { return len(c.Regressions) > 0 || len(c.Incomplete) > 0 }

// Compare compares two judged runs.
func Compare(base, cand *Run) *Comparison {
	c := &Comparison{Base: base, Cand: cand}
	m := NewMatrix([]*Run{base, cand}, nil)
	incomplete := map[string]bool{}
	if cand.Result != nil {
		for _, s := range cand.Result.Suites {
			if s.Problem != "" {
				incomplete[areaName(s.Name)] = true
				c.Incomplete = append(c.Incomplete, fmt.Sprintf("%s: %s", areaName(s.Name), s.Problem))
			}
		}
		c.Incomplete = append(c.Incomplete, cand.Result.Problems...)
	}
	for _, row := range m.Rows {
		if row.Text == WholeArea {
			continue
		}
		ch := Change{Area: row.Area, Text: row.Text, IDs: row.IDs, Base: row.Cells[0], Cand: row.Cells[1]}
		b, k := normal(ch.Base.Outcome), normal(ch.Cand.Outcome)
		failing := func(o expectations.Outcome) bool { return o == expectations.Failed || o == expectations.Expected }
		switch {
		case b == "" && k == "":
		case k == "":
			if !incomplete[row.Area] {
				c.Removed = append(c.Removed, ch)
			}
		case b == "":
			c.Added = append(c.Added, ch)
		case b == expectations.Passed && failing(k):
			c.Regressions = append(c.Regressions, ch)
		case failing(b) && k == expectations.Passed:
			c.Fixes = append(c.Fixes, ch)
		case b != expectations.Skipped && k == expectations.Skipped:
			c.NewSkips = append(c.NewSkips, ch)
		case b == expectations.Skipped && failing(k):
			c.NewFailures = append(c.NewFailures, ch)
		case b == expectations.Skipped && k == expectations.Passed:
			c.NowChecked = append(c.NowChecked, ch)
		case failing(b) && failing(k):
			c.StillFailing++
			if b != k {
				c.Different++
			}
		default:
			c.Unchanged++
		}
	}
	return c
}

// Write lists the comparison: a header naming both runs, one line per
// change by section (REGRESSION, FIXED, NEW SKIP, NEW FAILURE, NOW
// CHECKED, ADDED, REMOVED, INCOMPLETE), and the closing line "N
// regressions, N fixes, N new skips, N new failures, N added, N removed".
func (c *Comparison) Write(w io.Writer) error {
	p := &mdPrinter{w: w}
	p.f("base: %s (%s)\n", c.Base.Label, hostLine(c.Base))
	p.f("candidate: %s (%s)\n", c.Cand.Label, hostLine(c.Cand))
	if c.Base.Host.GOARCH != c.Cand.Host.GOARCH {
		p.f("note: the runs are for different architectures (%s, %s): their specs differ by design\n", c.Base.Host.GOARCH, c.Cand.Host.GOARCH)
	}
	section := func(title, tag string, list []Change, line func(Change) string) {
		if len(list) == 0 {
			return
		}
		p.f("%s (%d):\n", title, len(list))
		for _, ch := range list {
			p.f("  %s %s\n", tag, line(ch))
		}
	}
	name := func(ch Change) string {
		s := ch.Area + ": " + ch.Text
		if len(ch.IDs) > 0 && !strings.Contains(ch.Text, "["+ch.IDs[0]) {
			s = strings.Join(ch.IDs, ",") + " " + s
		}
		return s
	}
	outcome := func(cell Cell) string {
		switch cell.Outcome {
		case expectations.Expected:
			return "expected failure (" + expectationLine(cell.Spec.Expectation) + "): " + cell.Message
		case expectations.Failed:
			return "failed: " + cell.Message
		case expectations.Skipped:
			return "skipped: " + cell.Message
		case expectations.Fixed:
			return "passed (fixed?)"
		}
		return string(cell.Outcome)
	}
	section("regressions: passed in the base, failed in the candidate", "REGRESSION", c.Regressions, func(ch Change) string {
		return name(ch) + ": passed -> " + outcome(ch.Cand)
	})
	section("incomplete: the candidate did not report completely", "INCOMPLETE", stringsAsChanges(c.Incomplete), func(ch Change) string { return ch.Text })
	section("fixes: failed in the base, passed in the candidate", "FIXED", c.Fixes, func(ch Change) string {
		return name(ch) + ": " + outcome(ch.Base) + " -> passed"
	})
	section("new skips: checked in the base, skipped in the candidate", "NEW SKIP", c.NewSkips, func(ch Change) string {
		return name(ch) + ": " + string(normal(ch.Base.Outcome)) + " -> " + outcome(ch.Cand)
	})
	section("new failures: skipped in the base, failed in the candidate (not regressions)", "NEW FAILURE", c.NewFailures, func(ch Change) string {
		return name(ch) + ": skipped -> " + outcome(ch.Cand)
	})
	section("now checked: skipped in the base, passed in the candidate", "NOW CHECKED", c.NowChecked, func(ch Change) string {
		return name(ch) + ": " + outcome(ch.Base) + " -> passed"
	})
	section("added: only in the candidate", "ADDED", c.Added, func(ch Change) string { return name(ch) + ": " + outcome(ch.Cand) })
	section("removed: only in the base", "REMOVED", c.Removed, func(ch Change) string { return name(ch) + ": " + outcome(ch.Base) })
	if c.StillFailing > 0 {
		p.f("still failing in both: %d (%d classified differently, expected in one run only)\n", c.StillFailing, c.Different)
	}
	verdict := "no regression"
	if c.Failed() {
		verdict = "REGRESSED"
		if len(c.Regressions) == 0 {
			verdict = "NOT OK (the candidate did not report completely)"
		}
	}
	p.f("verdict: %s\n", verdict)
	p.f("%d regressions, %d fixes, %d new skips, %d new failures, %d added, %d removed\n",
		len(c.Regressions), len(c.Fixes), len(c.NewSkips), len(c.NewFailures), len(c.Added), len(c.Removed))
	return p.err
}

func stringsAsChanges(list []string) []Change {
	out := make([]Change, len(list))
	for i, s := range list {
		out[i] = Change{Text: s}
	}
	return out
}

func hostLine(r *Run) string {
	mods := strings.Join(r.Host.Modules, ",")
	if mods == "" {
		mods = "none"
	}
	s := fmt.Sprintf("%s, kernel %s, KVM modules %s", r.Host.GOARCH, r.Kernel(), mods)
	if r.Dir != "" {
		s += ", " + r.Dir
	}
	return s
}
