package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/expectations"
)

// WriteJUnit writes one JUnit XML document for a judged run: Ginkgo's own
// JUnit for each area's report (reporters.GenerateJUnitReport: a testsuite
// per area, a testcase per spec and suite node), merged, with
//
//   - the host facts as properties of every testsuite ("host.kernel",
//     "host.GOARCH", "host.KVM modules", "host.CPU", "host.KVM device",
//     "host.capabilities") and the area's verdict ("kvmconform.verdict");
//   - an expected failure still a <failure> (it failed), its message
//     starting "EXPECTED (kind: summary (file:line)): " and its status
//     "expected failure";
//   - a testsuite with one <error> testcase for each area that did not
//     report completely, so a lab sees it.
func WriteJUnit(w io.Writer, run *Run) error {
	tmp, err := os.MkdirTemp("", "kvmconform-junit-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var all reporters.JUnitTestSuites
	props := []reporters.JUnitProperty{}
	for _, f := range hostFacts(run) {
		props = append(props, reporters.JUnitProperty{Name: "host." + f.Name, Value: f.Value})
	}
	problems := map[string]string{}
	if run.Result != nil {
		for _, s := range run.Result.Suites {
			if s.Problem != "" {
				problems[areaName(s.Name)] = s.Problem
			}
		}
	}
	byReport := map[*types.SpecReport]*expectations.Spec{}
	if run.Result != nil {
		for i := range run.Result.Specs {
			s := &run.Result.Specs[i]
			if s.Report != nil {
				byReport[s.Report] = s
			}
		}
	}
	reported := map[string]bool{}
	for ri := range run.Reports {
		r := &run.Reports[ri]
		area := AreaOf(r.SuitePath, r.SuiteDescription)
		reported[area] = true
		file := filepath.Join(tmp, fmt.Sprintf("%d.xml", ri))
		if err := reporters.GenerateJUnitReport(*r, file); err != nil {
			return fmt.Errorf("JUnit for %s: %w", area, err)
		}
		var part reporters.JUnitTestSuites
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if err := xml.Unmarshal(data, &part); err != nil {
			return fmt.Errorf("JUnit for %s: %w", area, err)
		}
		for si := range part.TestSuites {
			suite := &part.TestSuites[si]
			// Ginkgo writes a testcase per spec report, in order.
			if len(suite.TestCases) == len(r.SpecReports) {
				for ci := range suite.TestCases {
					s := byReport[&r.SpecReports[ci]]
					tc := &suite.TestCases[ci]
					if s != nil && s.Outcome == expectations.Expected && tc.Failure != nil {
						tc.Status = "expected failure"
						tc.Failure.Message = "EXPECTED (" + expectationLine(s.Expectation) + "): " + tc.Failure.Message
					}
				}
			}
			verdict := "complete"
			if p := problems[area]; p != "" {
				verdict = "did not report completely: " + p
			}
			suite.Properties.Properties = append(append([]reporters.JUnitProperty{
				{Name: "kvmconform.area", Value: area},
				{Name: "kvmconform.verdict", Value: verdict},
			}, props...), suite.Properties.Properties...)
			all.TestSuites = append(all.TestSuites, *suite)
		}
	}
	var missing []string
	for _, a := range run.Areas {
		if !reported[areaName(a)] {
			missing = append(missing, areaName(a))
		}
	}
	if run.Problem != "" && len(missing) == 0 {
		missing = append(missing, "run")
	}
	for _, a := range missing {
		why := problems[a]
		if why == "" {
			why = run.Problem
		}
		if why == "" {
			why = "absent from the report (crashed, killed or never run?)"
		}
		all.TestSuites = append(all.TestSuites, reporters.JUnitTestSuite{
			Name: a, Package: "suites/" + a, Tests: 1, Errors: 1,
			Properties: reporters.JUnitProperties{Properties: append([]reporters.JUnitProperty{
				{Name: "kvmconform.area", Value: a},
				{Name: "kvmconform.verdict", Value: "did not report: " + why},
			}, props...)},
			TestCases: []reporters.JUnitTestCase{{
				Name: "[SuiteReport] " + a + " did not report", Classname: a, Status: "missing",
				Error: &reporters.JUnitError{Message: why, Type: "missing", Description: why},
			}},
		})
	}
	// Times in milliseconds: Ginkgo writes nanosecond fractions, which the
	// Surefire time type of the JUnit schemas (at most three decimals)
	// rejects.
	for si := range all.TestSuites {
		s := &all.TestSuites[si]
		s.Time = ms(s.Time)
		for ci := range s.TestCases {
			s.TestCases[ci].Time = ms(s.TestCases[ci].Time)
		}
	}
	for _, s := range all.TestSuites {
		all.Tests += s.Tests
		all.Disabled += s.Disabled + s.Skipped
		all.Errors += s.Errors
		all.Failures += s.Failures
		all.Time += s.Time
	}
	all.Time = ms(all.Time)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("  ", "    ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// ms rounds seconds to milliseconds.
func ms(seconds float64) float64 { return math.Round(seconds*1000) / 1000 }
