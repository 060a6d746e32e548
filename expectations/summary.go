package expectations

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Run is one run's result under a label: "" for a single run, the row
// ("amd64 debian:trixie") in a matrix.
type Run struct {
	Label  string
	Result *Result
}

// WriteSummary writes a single run's summary: the host, the details
// (WriteDetails), the skips by reason, the verdict and the closing line
// "N passed, N failed, N expected, N skipped".
func (r *Result) WriteSummary(w io.Writer) error {
	p := &printer{w: w}
	p.f("host: %s (%s)\n", r.Host, r.HostNote)
	if p.err == nil {
		p.err = WriteDetails(w, []Run{{Result: r}})
	}
	if skips := skipReasons(r); skips != "" {
		p.f("skipped: %s\n", skips)
	}
	if r.OK() {
		p.f("verdict: OK (every failure is expected and every suite reported)\n")
	} else {
		p.f("verdict: NOT OK (%s)\n", r.whyNotOK())
	}
	p.f("%s\n", r.Counts)
	return p.err
}

func (r *Result) whyNotOK() string {
	var parts []string
	if n := len(r.Only(Failed)); n > 0 {
		parts = append(parts, plural(n, "unexpected failure", "unexpected failures"))
	}
	if n := len(r.Incomplete()); n > 0 {
		parts = append(parts, plural(n, "suite did not report", "suites did not report"))
	}
	for _, pr := range r.Problems {
		head, _, _ := strings.Cut(pr, ":")
		parts = append(parts, head)
	}
	return strings.Join(parts, ", ")
}

// WriteDetails writes what a verdict rests on, for one run or several:
//
//   - one EXPECTED line per expectation that covered failures, with the
//     specs (ID and case) it covered and, for several runs, which;
//   - one FAILED line per unexpected failure, with the first line of its
//     failure message;
//   - one FIXED? line per expectation that matches specs that passed;
//   - one UNUSED line per expectation that applied to a host but covered
//     nothing (informational);
//   - one line per suite that did not report completely, and per problem.
//
// Empty sections are left out.
func WriteDetails(w io.Writer, runs []Run) error {
	p := &printer{w: w}
	expected := group(runs, Expected)
	if len(expected) > 0 {
		n := 0
		for _, g := range expected {
			n += g.n
		}
		p.f("expected failures (%s by %s; they fail in the reports, not the verdict):\n",
			plural(n, "spec", "specs"), plural(len(expected), "expectation", "expectations"))
		for _, g := range expected {
			p.f("  EXPECTED %s\n", g.line(len(runs) > 1))
		}
	}
	var failed []string
	for _, run := range runs {
		if run.Result == nil {
			continue
		}
		for _, s := range run.Result.Only(Failed) {
			failed = append(failed, prefix(run.Label)+s.failedLine())
		}
	}
	if len(failed) > 0 {
		p.f("unexpected failures (%d):\n", len(failed))
		for _, l := range failed {
			p.f("  FAILED %s\n", l)
		}
	}
	if fixed := group(runs, Fixed); len(fixed) > 0 {
		p.f("fixed? (these specs passed though an expectation says they fail; drop or narrow it):\n")
		for _, g := range fixed {
			p.f("  FIXED? %s\n", g.line(len(runs) > 1))
		}
	}
	if unused := unusedLines(runs); len(unused) > 0 {
		p.f("expectations that matched the host but covered nothing (informational):\n")
		for _, l := range unused {
			p.f("  UNUSED %s\n", l)
		}
	}
	var incomplete []string
	for _, run := range runs {
		if run.Result == nil {
			continue
		}
		for _, s := range run.Result.Incomplete() {
			incomplete = append(incomplete, fmt.Sprintf("%ssuite %s did not report: %s", prefix(run.Label), s.Name, s.Problem))
		}
		for _, pr := range run.Result.Problems {
			incomplete = append(incomplete, prefix(run.Label)+pr)
		}
	}
	if len(incomplete) > 0 {
		p.f("incomplete:\n")
		for _, l := range incomplete {
			p.f("  %s\n", l)
		}
	}
	return p.err
}

// groupLine is one expectation's specs across runs.
type groupLine struct {
	e     *Expectation
	cases []string // short spec names, first appearance first
	runs  []string // run labels
	n     int      // specs
}

func (g *groupLine) line(withRuns bool) string {
	var b strings.Builder
	b.WriteString(g.e.ID)
	if len(g.cases) > 0 {
		b.WriteString(" " + strings.Join(g.cases, ", "))
	}
	if withRuns && len(g.runs) > 0 {
		b.WriteString(" on " + strings.Join(g.runs, ", "))
	}
	if withRuns || g.n > len(g.cases) {
		fmt.Fprintf(&b, " (%s)", plural(g.n, "spec", "specs"))
	}
	fmt.Fprintf(&b, " [%s]: %s (%s)", g.e.scope(), summary(g.e.Reason), g.e.Where())
	return b.String()
}

// group collects the specs with outcome o by expectation, in list order.
func group(runs []Run, o Outcome) []*groupLine {
	var order []*groupLine
	by := map[*Expectation]*groupLine{}
	for _, run := range runs {
		if run.Result == nil {
			continue
		}
		for _, s := range run.Result.Only(o) {
			g := by[s.Expectation]
			if g == nil {
				g = &groupLine{e: s.Expectation}
				by[s.Expectation] = g
				order = append(order, g)
			}
			g.n++
			if c := shortCase(s.Case); c != "" && !slices.Contains(g.cases, c) {
				g.cases = append(g.cases, c)
			}
			if run.Label != "" && !slices.Contains(g.runs, run.Label) {
				g.runs = append(g.runs, run.Label)
			}
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return before(order[i].e, order[j].e) })
	return order
}

func before(a, b *Expectation) bool {
	if a.File != b.File {
		return a.File == ShippedFile // the shipped list first, then the user's files
	}
	return a.Line < b.Line
}

func unusedLines(runs []Run) []string {
	var order []*Expectation
	labels := map[*Expectation][]string{}
	usedSomewhere := map[*Expectation]bool{}
	for _, run := range runs {
		if run.Result == nil {
			continue
		}
		unused := run.Result.Unused
		for _, e := range run.Result.Applicable {
			if !slices.Contains(unused, e) {
				usedSomewhere[e] = true
				continue
			}
			if _, seen := labels[e]; !seen {
				order = append(order, e)
			}
			if run.Label != "" {
				labels[e] = append(labels[e], run.Label)
			} else if labels[e] == nil {
				labels[e] = []string{}
			}
		}
	}
	var lines []string
	for _, e := range order {
		if usedSomewhere[e] {
			continue // it covered something in another run
		}
		l := e.ID
		if len(e.Case) > 0 {
			l += " " + strings.Join(e.Case, ", ")
		}
		if len(labels[e]) > 0 {
			l += " on " + strings.Join(labels[e], ", ")
		}
		lines = append(lines, fmt.Sprintf("%s [%s] (%s)", l, e.scope(), e.Where()))
	}
	return lines
}

// scope is "kernel bug; amd64 kernel 6.12.* module kvm_pvm".
func (e *Expectation) scope() string {
	s := string(e.Kind) + "; " + e.Arch
	if e.Kernel != "*" && e.Kernel != "" {
		s += " kernel " + e.Kernel
	}
	if e.Module != "" {
		s += " module " + e.Module
	}
	return s
}

func (s Spec) failedLine() string {
	var b strings.Builder
	if len(s.IDs) > 0 {
		b.WriteString(strings.Join(s.IDs, ",") + " ")
	}
	if s.Suite != "" && len(s.IDs) == 0 {
		b.WriteString(s.Suite + ": ")
	}
	b.WriteString(s.Text)
	if s.Message != "" {
		b.WriteString(": " + s.Message)
	}
	return b.String()
}

var trailingBrackets = regexp.MustCompile(`\s*\[[^\]]*\]\s*$`)

// shortCase is a spec's leaf text without its trailing "[ID, ...]" and,
// for a table entry "mmio-load-lb: 1-byte ...", the part before ": ".
func shortCase(s string) string {
	for {
		t := trailingBrackets.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	if head, _, ok := strings.Cut(s, ": "); ok && !strings.Contains(head, " ") {
		s = head
	}
	return strings.TrimSpace(s)
}

// summary is a reason's first sentence, at most 160 characters.
func summary(reason string) string {
	s := strings.Join(strings.Fields(reason), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return shorten(s, 160)
}

// skipReasons counts the skipped specs by the word their reason starts with
// ("architecture: ...", "capability: ...").
func skipReasons(r *Result) string {
	counts := map[string]int{}
	var order []string
	for _, s := range r.Only(Skipped) {
		why := "no reason given"
		if head, _, ok := strings.Cut(s.Message, ":"); ok && len(head) <= 24 {
			why = head
		} else if s.Message != "" {
			why = "other"
		}
		if counts[why] == 0 {
			order = append(order, why)
		}
		counts[why]++
	}
	var parts []string
	for _, why := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[why], why))
	}
	return strings.Join(parts, ", ")
}

func prefix(label string) string {
	if label == "" {
		return ""
	}
	return label + ": "
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
