package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
)

// WriteKTAP writes KTAP version 1 (Documentation/dev-tools/ktap.rst) for
// judged runs. One run: a test per area, each with a subtest per spec. Several
// runs: a test per run, each with its areas as subtests. The host facts are
// diagnostic lines ("# kernel: ...") before each run's tests.
//
// Results, as kselftest prints them:
//
//	ok N <spec>                        passed
//	ok N <spec> # SKIP <reason>        skipped
//	ok N <spec> # XFAIL <why>          failed, as an expectation says it does
//	not ok N <spec>                    failed (no expectation)
//
// Failure messages are diagnostic lines ("# ...") before the result line. An
// area (or a run) is "ok" when its verdict is: no unexpected failure and
// every area reported completely; an area that did not report is a "not ok"
// line of its own. The kernel's tools/testing/kunit/kunit_parser.py reads
// XFAIL as "ok" (it knows SKIP only, and falls back to the ok / not ok as
// the KTAP specification says), so its verdict is the run's.
func WriteKTAP(w io.Writer, m *Matrix) error {
	bw := bufio.NewWriter(w)
	k := &ktap{w: bw}
	k.line(0, "KTAP version 1")
	if len(m.Runs) == 1 {
		run := m.Runs[0]
		list := areaList(m, 0)
		k.line(0, fmt.Sprintf("1..%d", len(list)))
		k.comment(0, "kvmconform run: "+run.Label)
		k.facts(0, run)
		k.areas(0, list)
	} else {
		k.line(0, fmt.Sprintf("1..%d", len(m.Runs)))
		k.comment(0, fmt.Sprintf("kvmconform report: %d runs", len(m.Runs)))
		for i, run := range m.Runs {
			list := areaList(m, i)
			k.line(1, "KTAP version 1")
			k.line(1, "# Subtest: "+ktapName(run.Label))
			k.line(1, fmt.Sprintf("1..%d", len(list)))
			k.facts(1, run)
			k.areas(1, list)
			k.result(0, i+1, runOK(run), run.Label, "")
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return k.err
}

type ktap struct {
	w   *bufio.Writer
	err error
}

func (k *ktap) line(depth int, s string) {
	if k.err == nil {
		_, k.err = fmt.Fprintf(k.w, "%s%s\n", strings.Repeat("    ", depth), s)
	}
}

// comment writes text as diagnostic lines.
func (k *ktap) comment(depth int, text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		k.line(depth, strings.TrimRight("# "+ktapSafe(l), " "))
	}
}

func (k *ktap) facts(depth int, run *Run) {
	for _, f := range hostFacts(run) {
		k.comment(depth, f.Name+": "+f.Value)
	}
	if run.Result != nil {
		k.comment(depth, "counts: "+run.Result.Counts.String())
	}
}

// ktapArea is one area's rows in one run, and its failure to report.
type ktapArea struct {
	name  string
	cells []Cell
	texts []string
	whole *Cell
}

// areaList collects run i's areas from the matrix.
func areaList(m *Matrix, i int) []*ktapArea {
	var list []*ktapArea
	byName := map[string]*ktapArea{}
	for _, row := range m.Rows {
		c := row.Cells[i]
		if c.Outcome == "" {
			continue
		}
		a := byName[row.Area]
		if a == nil {
			a = &ktapArea{name: row.Area}
			if a.name == "" {
				a.name = "run"
			}
			byName[row.Area] = a
			list = append(list, a)
		}
		if row.Text == WholeArea {
			cc := c
			a.whole = &cc
			continue
		}
		a.cells = append(a.cells, c)
		a.texts = append(a.texts, row.Text)
	}
	return list
}

// areas writes the areas as tests at depth (after their plan): per area
// its specs as subtests and its result line.
func (k *ktap) areas(depth int, list []*ktapArea) {
	for n, a := range list {
		if len(a.cells) == 0 {
			// Nothing but the area's failure to report: a leaf.
			if a.whole != nil {
				k.comment(depth, a.whole.Message)
			}
			k.result(depth, n+1, a.whole == nil, a.name, "")
			continue
		}
		k.line(depth+1, "KTAP version 1")
		k.line(depth+1, "# Subtest: "+ktapName(a.name))
		k.line(depth+1, fmt.Sprintf("1..%d", len(a.cells)))
		ok := a.whole == nil
		for j, c := range a.cells {
			text := a.texts[j]
			switch c.Outcome {
			case expectations.Passed:
				k.result(depth+1, j+1, true, text, "")
			case expectations.Fixed:
				k.comment(depth+1, "FIXED? "+c.Reason)
				k.result(depth+1, j+1, true, text, "")
			case expectations.Skipped:
				k.result(depth+1, j+1, true, text, "SKIP "+c.Message)
			case expectations.Expected:
				k.comment(depth+1, c.Detail)
				k.result(depth+1, j+1, true, text, "XFAIL "+expectationLine(c.Spec.Expectation))
			default:
				k.comment(depth+1, c.Detail)
				k.result(depth+1, j+1, false, text, "")
				ok = false
			}
		}
		if a.whole != nil {
			k.comment(depth+1, a.whole.Message)
		}
		k.result(depth, n+1, ok, a.name, "")
	}
}

// result writes "ok N name" or "not ok N name", with " # directive".
func (k *ktap) result(depth, n int, ok bool, name, directive string) {
	s := "ok"
	if !ok {
		s = "not ok"
	}
	l := fmt.Sprintf("%s %d %s", s, n, ktapName(name))
	if directive != "" {
		l += " # " + oneLine(ktapSafe(directive))
	}
	k.line(depth, l)
}

// ktapName makes a test name KTAP can carry: one line, no '#' (which
// starts the directive).
func ktapName(s string) string {
	s = strings.ReplaceAll(oneLine(s), "#", "＃")
	if s == "" {
		return "unnamed"
	}
	return ktapSafe(s)
}

// ktapSafe keeps text from ending the KTAP stream early: kunit_parser.py
// stops at lines holding what the kernel prints when it halts.
func ktapSafe(s string) string {
	for _, end := range []string{"List of all partitions:", "Kernel panic - not syncing: VFS:", "reboot: System halted"} {
		s = strings.ReplaceAll(s, end, strings.Replace(end, ":", " :", 1))
	}
	return s
}

// runOK is a run's verdict (false when it was not judged).
func runOK(r *Run) bool { return r.Result != nil && r.Result.OK() }

// hostFacts are the facts a run's formats show: the host's, with the
// runner's kernel name for a QEMU row.
func hostFacts(r *Run) []hostinfo.Fact {
	facts := r.Host.Facts()
	if r.Row != nil {
		facts = append(facts, hostinfo.Fact{Name: "QEMU row", Value: strings.TrimSpace(r.Row.Kernel + " " + r.Row.PackageVersion + ", " + r.Row.QEMU)})
	}
	if r.HostNote != "" && r.HostNote != "from the reports" {
		facts = append(facts, hostinfo.Fact{Name: "host facts", Value: r.HostNote})
	}
	return facts
}
