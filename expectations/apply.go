package expectations

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// Outcome is how a spec counts in the verdict.
type Outcome string

// The outcomes.
const (
	Passed   Outcome = "passed"
	Failed   Outcome = "failed" // failed, and no expectation covers it
	Expected Outcome = "expected"
	Fixed    Outcome = "fixed?" // passed, though an expectation covers it
	Skipped  Outcome = "skipped"
)

// SpecInfo is what an expectation is matched against.
type SpecInfo struct {
	// IDs are the spec lines the spec carries: its labels that are spec
	// IDs (its own and its containers'), and those in brackets in its
	// leaf text ("[CMP-7]").
	IDs []string
	// Case is the leaf text: a table entry's description ("outb"), or the
	// It's text.
	Case string
	// Text is the full text (containers and leaf).
	Text string
}

var bracketIDs = regexp.MustCompile(`\[([^\]]*)\]`)

// Describe returns what expectations match in s.
func Describe(s types.SpecReport) SpecInfo {
	info := SpecInfo{Case: s.LeafNodeText, Text: strings.TrimSpace(s.FullText())}
	add := func(id string) {
		if idPattern.MatchString(id) && !slices.Contains(info.IDs, id) {
			info.IDs = append(info.IDs, id)
		}
	}
	for _, l := range s.Labels() {
		add(l)
	}
	for _, m := range bracketIDs.FindAllStringSubmatch(s.LeafNodeText, -1) {
		for _, f := range strings.Split(m[1], ",") {
			add(strings.TrimSpace(f))
		}
	}
	return info
}

// Spec is one spec's classification.
type Spec struct {
	SpecInfo
	Suite   string
	Outcome Outcome
	// Message is the first line of the failure message or the skip reason.
	Message string
	// Expectation covers the spec (Expected) or would have (Fixed).
	Expectation *Expectation
	// Report is the spec's own report (in the reports Apply was given):
	// the full failure message, location, labels and run time.
	Report *types.SpecReport
}

// Counts are a run's outcomes. Failed are the unexpected failures (specs
// and suite-level nodes) plus one for each suite that did not report
// completely; Expected the failures an expectation covers; Passed includes
// the "fixed?" specs; Skipped includes pending specs.
type Counts struct {
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Expected int `json:"expected"`
	Skipped  int `json:"skipped"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Passed += o.Passed
	c.Failed += o.Failed
	c.Expected += o.Expected
	c.Skipped += o.Skipped
}

// String is the closing line "N passed, N failed, N expected, N skipped".
func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d expected, %d skipped", c.Passed, c.Failed, c.Expected, c.Skipped)
}

// Suite is one suite's outcome.
type Suite struct {
	Name   string
	Counts Counts
	// Problem says why the suite did not report completely ("" if it
	// did): absent from the report, interrupted, fewer specs than it has,
	// unsuccessful without a failed spec, ...
	Problem string
}

// Options configure Apply.
type Options struct {
	// Host is the machine the reports come from; nil means the host entry
	// the suites recorded in the reports (HostOf).
	Host *Host
	// Suites must each have reported: suite directories ("suites/abi") or
	// names ("abi"), matched against the end of each report's SuitePath.
	// Every suite in the reports must have reported completely too.
	Suites []string
	// NoReport, if set, says why there is no report to apply (missing,
	// truncated); it fails the verdict.
	NoReport string
}

// Result is a run's classification and verdict.
type Result struct {
	// Host is the host the expectations were matched against (zero when
	// unknown: then none applies).
	Host Host
	// HostNote says where Host came from, or why it is unknown
	// (Host.Known).
	HostNote string
	// Specs are every It spec, and every failed suite-level node (as
	// Failed), in report order.
	Specs []Spec
	// Suites are the suites in the reports, then the required ones that
	// are absent.
	Suites []Suite
	// Applicable are the expectations that match the host; Unused those of
	// them that neither covered a failure nor matched a passed spec.
	Applicable, Unused []*Expectation
	// Problems are failures of the run as a whole (no report at all, ...).
	Problems []string
	Counts   Counts
}

// OK is the verdict: every failure is expected, every suite reported
// completely, and the run had no other problem.
func (r *Result) OK() bool {
	if len(r.Problems) > 0 {
		return false
	}
	for _, s := range r.Specs {
		if s.Outcome == Failed {
			return false
		}
	}
	for _, s := range r.Suites {
		if s.Problem != "" {
			return false
		}
	}
	return true
}

// Only returns the specs with outcome o.
func (r *Result) Only(o Outcome) []Spec {
	var out []Spec
	for _, s := range r.Specs {
		if s.Outcome == o {
			out = append(out, s)
		}
	}
	return out
}

// Incomplete returns the suites that did not report completely.
func (r *Result) Incomplete() []Suite {
	var out []Suite
	for _, s := range r.Suites {
		if s.Problem != "" {
			out = append(out, s)
		}
	}
	return out
}

// fail records a problem of the run as a whole (e.g. "no report"); it
// fails the verdict and counts as one failure.
func (r *Result) fail(problem string) {
	r.Problems = append(r.Problems, problem)
	r.Counts.Failed++
}

// Apply classifies every spec of reports (Ginkgo JSON reports, one per
// suite) against list and checks that the suites reported completely.
func Apply(reports []types.Report, list []Expectation, opt Options) *Result {
	res := &Result{}
	if opt.Host != nil {
		res.Host, res.HostNote = *opt.Host, "given by the runner"
		if !res.Host.Known() {
			res.HostNote = "the runner gave no GOARCH or kernel release"
		}
	} else {
		switch h, ok, err := HostOf(reports); {
		case err != nil:
			res.HostNote = err.Error()
		case !ok:
			res.HostNote = "no \"host\" entry in the reports"
		default:
			res.Host, res.HostNote = h, "from the reports"
		}
	}
	if res.Host.Known() {
		for i := range list {
			if list[i].MatchesHost(res.Host) {
				res.Applicable = append(res.Applicable, &list[i])
			}
		}
	}
	used := map[*Expectation]bool{}
	find := func(info SpecInfo) *Expectation {
		for _, e := range res.Applicable {
			if e.MatchesSpec(info) {
				used[e] = true
				return e
			}
		}
		return nil
	}

	required := map[string]bool{}
	for ri := range reports {
		r := reports[ri]
		name := suiteName(r)
		for _, want := range opt.Suites {
			if sameSuite(want, r.SuitePath) {
				name, required[want] = cleanSuite(want), true
			}
		}
		sr := Suite{Name: name}
		its, failed := 0, 0
		interrupted, aborted := false, false
		for si := range r.SpecReports {
			s := r.SpecReports[si]
			rep := &reports[ri].SpecReports[si]
			if s.LeafNodeType != types.NodeTypeIt {
				if s.State.Is(types.SpecStateFailureStates) {
					failed++
					sr.Counts.Failed++
					res.Specs = append(res.Specs, Spec{SpecInfo: SpecInfo{Text: s.LeafNodeType.String(), Case: s.LeafNodeType.String()},
						Suite: name, Outcome: Failed, Message: firstLine(s.Failure.Message), Report: rep})
				}
				continue
			}
			its++
			sp := Spec{SpecInfo: Describe(s), Suite: name, Report: rep}
			switch {
			case s.State == types.SpecStatePassed:
				sp.Outcome = Passed
				sr.Counts.Passed++
				if e := find(sp.SpecInfo); e != nil {
					sp.Outcome, sp.Expectation = Fixed, e
				}
			case s.State.Is(types.SpecStateFailureStates):
				failed++
				sp.Message = firstLine(s.Failure.Message)
				sp.Outcome = Failed
				// A failure of the kernel's behaviour can be expected; an
				// interrupted, aborted or panicking spec cannot.
				if s.State.Is(types.SpecStateFailed | types.SpecStateTimedout) {
					if e := find(sp.SpecInfo); e != nil {
						sp.Outcome, sp.Expectation = Expected, e
					}
				}
				if sp.Outcome == Expected {
					sr.Counts.Expected++
				} else {
					sr.Counts.Failed++
				}
				interrupted = interrupted || s.State == types.SpecStateInterrupted
				aborted = aborted || s.State == types.SpecStateAborted
				if sp.Message == "" {
					sp.Message = s.State.String()
				}
			default: // skipped, pending
				sp.Outcome = Skipped
				sr.Counts.Skipped++
				sp.Message = firstLine(s.Failure.Message)
				if s.State == types.SpecStatePending {
					sp.Message = "pending"
				}
			}
			res.Specs = append(res.Specs, sp)
		}
		sr.Problem = completeness(r, its, failed, interrupted, aborted)
		if sr.Problem != "" {
			sr.Counts.Failed++
		}
		res.Suites = append(res.Suites, sr)
		res.Counts.Add(sr.Counts)
	}
	for _, want := range opt.Suites {
		if !required[want] {
			res.Suites = append(res.Suites, Suite{Name: cleanSuite(want), Counts: Counts{Failed: 1},
				Problem: "absent from the report (crashed, killed or never run?)"})
			res.Counts.Failed++
		}
	}
	switch {
	case opt.NoReport != "":
		res.fail(opt.NoReport)
	case len(reports) == 0 && len(opt.Suites) == 0:
		res.fail("the report holds no suite")
	}
	for _, e := range res.Applicable {
		if !used[e] {
			res.Unused = append(res.Unused, e)
		}
	}
	return res
}

// completeness says why a suite's report is not complete, or "".
func completeness(r types.Report, its, failed int, interrupted, aborted bool) string {
	reasons := r.SpecialSuiteFailureReasons
	var why []string
	for _, s := range reasons {
		why = append(why, firstLine(s))
	}
	joined := strings.Join(why, "; ")
	switch {
	case interrupted || slices.ContainsFunc(reasons, func(s string) bool { return strings.Contains(s, "Interrupted") }):
		if joined == "" {
			joined = "a spec was interrupted"
		}
		return "interrupted (" + joined + ")"
	case aborted:
		return "aborted: a spec called Abort, the specs after it did not run"
	case !r.SuiteSucceeded && len(reasons) > 0:
		return joined
	case r.PreRunStats.TotalSpecs > its:
		return fmt.Sprintf("the report holds %d of the suite's %d specs (crashed?)", its, r.PreRunStats.TotalSpecs)
	case !r.SuiteSucceeded && failed == 0:
		return "the suite failed without a failed spec (interrupted?)"
	}
	return ""
}

// suiteName names a report: its SuitePath, shortened to the part from
// "suites/" on, or its description.
func suiteName(r types.Report) string {
	p := path.Clean(r.SuitePath)
	if r.SuitePath == "" {
		return r.SuiteDescription
	}
	if i := strings.LastIndex(p, "/suites/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

func cleanSuite(s string) string { return strings.TrimSuffix(path.Clean(s), "/") }

// sameSuite says whether the required suite want ("suites/abi", "abi",
// "./suites/abi/") is the one at suitePath (absolute or relative).
func sameSuite(want, suitePath string) bool {
	if suitePath == "" {
		return false
	}
	w, p := cleanSuite(want), path.Clean(suitePath)
	return p == w || strings.HasSuffix(p, "/"+w)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return shorten(strings.TrimSpace(s), 200)
}

// shorten cuts s to at most n runes, ending it with "...".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
