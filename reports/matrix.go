package reports

import (
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/expectations"
)

// WholeArea is the Text of a matrix row that stands for an area as a
// whole: it carries a run's failure to report that area completely.
const WholeArea = "(the area as a whole)"

// A Cell is one spec's outcome in one run.
type Cell struct {
	// Outcome is the expectations' classification; "" when the run does
	// not have the spec (another architecture's, filtered out, ...).
	Outcome expectations.Outcome
	// Message is the first line of the failure message or the skip
	// reason.
	Message string
	// Reason says why the outcome is what it is, for a hover: the skip
	// reason, the expectation's summary and source, the failure's first
	// line.
	Reason string
	// Detail is the full failure message with its location (failed and
	// expected cells).
	Detail string
	// Spec is the classification the cell came from (nil for WholeArea
	// and absent cells).
	Spec *expectations.Spec
}

// Failing says whether the spec failed, expected or not.
func (c Cell) Failing() bool {
	return c.Outcome == expectations.Failed || c.Outcome == expectations.Expected
}

// A Row is one spec across the runs.
type Row struct {
	Area string
	// Text is the spec's full text (containers and leaf), or the node type
	// of a failed suite-level node ("BeforeSuite"), or WholeArea.
	Text string
	IDs  []string
	// Cells has one entry per run, in the matrix's run order.
	Cells []Cell
}

// Key identifies a spec across runs: its area and full text.
func (r Row) Key() string { return r.Area + "\x00" + r.Text }

// A Matrix is every spec of several judged runs.
type Matrix struct {
	Runs []*Run
	// Areas are the areas in the rows, in order.
	Areas []string
	Rows  []Row
}

// NewMatrix lays out judged runs (Run.Judge): the areas in areaOrder first
// (the others after them), in each area the specs in the order the runs
// first have them.
func NewMatrix(runs []*Run, areaOrder []string) *Matrix {
	m := &Matrix{Runs: runs}
	index := map[string]int{}
	var seen []string
	byArea := map[string][]int{}
	add := func(area, text string, ids []string) int {
		key := area + "\x00" + text
		if i, ok := index[key]; ok {
			return i
		}
		m.Rows = append(m.Rows, Row{Area: area, Text: text, IDs: ids, Cells: make([]Cell, len(runs))})
		i := len(m.Rows) - 1
		index[key] = i
		if _, ok := byArea[area]; !ok {
			seen = append(seen, area)
		}
		byArea[area] = append(byArea[area], i)
		return i
	}
	for ri, run := range runs {
		if run.Result == nil {
			continue
		}
		for si := range run.Result.Specs {
			s := &run.Result.Specs[si]
			area := areaName(s.Suite)
			i := add(area, specText(s), s.IDs)
			m.Rows[i].Cells[ri] = cellOf(s)
		}
		for _, su := range run.Result.Suites {
			if su.Problem == "" {
				continue
			}
			i := add(areaName(su.Name), WholeArea, nil)
			m.Rows[i].Cells[ri] = Cell{Outcome: expectations.Failed, Message: "did not report: " + su.Problem,
				Reason: "the area did not report completely: " + su.Problem}
		}
		for _, p := range run.Result.Problems {
			i := add("", WholeArea, nil)
			m.Rows[i].Cells[ri] = Cell{Outcome: expectations.Failed, Message: p, Reason: p}
		}
	}
	m.Areas = sortedAreas(seen, areaOrder)
	var rows []Row
	for _, a := range m.Areas {
		for _, i := range byArea[a] {
			rows = append(rows, m.Rows[i])
		}
	}
	m.Rows = rows
	return m
}

// specText is a spec's row text: its full text, or "[BeforeSuite]" for a
// failed suite-level node.
func specText(s *expectations.Spec) string {
	if s.Report != nil && s.Report.LeafNodeType != types.NodeTypeIt {
		return "[" + s.Report.LeafNodeType.String() + "]"
	}
	return s.Text
}

func cellOf(s *expectations.Spec) Cell {
	c := Cell{Outcome: s.Outcome, Message: s.Message, Spec: s}
	switch s.Outcome {
	case expectations.Passed:
		c.Reason = "passed"
	case expectations.Fixed:
		c.Reason = "passed, though an expectation says it fails (" + expectationLine(s.Expectation) + "): drop or narrow it"
	case expectations.Skipped:
		if c.Message == "" {
			// Ginkgo gives no reason for the specs its filters left out.
			c.Message = "not selected (label filter, focus or skip)"
		}
		c.Reason = "skipped: " + c.Message
	case expectations.Expected:
		c.Reason = "expected failure, " + expectationLine(s.Expectation) + "; the failure: " + s.Message
		c.Detail = detail(s.Report)
	case expectations.Failed:
		c.Reason = "failed: " + s.Message
		c.Detail = detail(s.Report)
	}
	return c
}

// expectationLine is "kernel bug: SUMMARY (expectations/expectations.yaml:118)".
func expectationLine(e *expectations.Expectation) string {
	if e == nil {
		return "no expectation"
	}
	return fmt.Sprintf("%s: %s (%s)", e.Kind, firstSentence(e.Reason), e.Where())
}

func firstSentence(s string) string {
	s = oneLine(s)
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// detail is a failed spec's message with where it failed, as a kernel
// developer reads it.
func detail(r *types.SpecReport) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	msg := strings.TrimSpace(r.Failure.Message)
	if msg == "" {
		msg = r.State.String()
	}
	if r.Failure.ForwardedPanic != "" {
		msg += "\npanic: " + r.Failure.ForwardedPanic
	}
	b.WriteString(msg)
	if loc := r.Failure.Location; loc.FileName != "" {
		fmt.Fprintf(&b, "\n\nat %s:%d", loc.FileName, loc.LineNumber)
	}
	if loc := r.Failure.FailureNodeLocation; loc.FileName != "" && r.Failure.FailureNodeType != types.NodeTypeIt {
		fmt.Fprintf(&b, "\nin the %s at %s:%d", r.Failure.FailureNodeType, loc.FileName, loc.LineNumber)
	}
	return b.String()
}

// Counts are the outcomes of one column.
func (m *Matrix) Counts(run int) expectations.Counts {
	if r := m.Runs[run].Result; r != nil {
		return r.Counts
	}
	return expectations.Counts{}
}

// Differs says whether a row's outcome is not the same in every run that
// has it.
func (r Row) Differs() bool {
	var first expectations.Outcome
	for _, c := range r.Cells {
		o := normal(c.Outcome)
		if o == "" {
			continue
		}
		if first == "" {
			first = o
		} else if o != first {
			return true
		}
	}
	return false
}

// normal treats a "fixed?" spec as passed: it did pass.
func normal(o expectations.Outcome) expectations.Outcome {
	if o == expectations.Fixed {
		return expectations.Passed
	}
	return o
}
