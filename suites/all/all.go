// Package all links every conformance area (suites/<area>) into the program
// that imports it: importing an area registers its specs (package-level
// Describes), and Areas lists them in the order they run, with the
// description and labels each area's own suite gives RunSpecs.
//
// A new area is a package suites/<area> with an Area variable and an
// <area>_suite_test.go, added to Areas here.
package all

import (
	"regexp"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/abi"
	"github.com/kvmconform/kvmconform/suites/immediateexit"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
	"github.com/kvmconform/kvmconform/suites/kick"
	"github.com/kvmconform/kvmconform/suites/mpstate"
	"github.com/kvmconform/kvmconform/suites/nested"
)

// Areas are every area, in the order the ginkgo CLI runs them (directory
// order).
var Areas = []harness.Area{abi.Area, immediateexit.Area, kick.Area, mpstate.Area, nested.Area}

// Names are the areas' names.
func Names() []string {
	names := make([]string, len(Areas))
	for i, a := range Areas {
		names[i] = a.Name
	}
	return names
}

// Lookup returns the area named name.
func Lookup(name string) (harness.Area, bool) {
	for _, a := range Areas {
		if a.Name == name {
			return a, true
		}
	}
	return harness.Area{}, false
}

// FileFilter is the Ginkgo --focus-file pattern that selects the specs of
// the area named name: those whose code lives in suites/<name>/ (with or
// without -trimpath, whose file names start with the module path).
func FileFilter(name string) string {
	return `(^|/)suites/` + regexp.QuoteMeta(name) + `/[^/]+\.go$`
}

// RunArea runs one area as its own suite in this process, as its
// <area>_suite_test.go does: RunSpecs with the area's description and
// labels, the BeforeSuite that records the host and the AfterSuite that
// reports abandoned vCPUs. Every area's specs are linked in, so the
// suite's FocusFiles select the area's (FileFilter); the report handed to
// done (from a ReportAfterSuite, so it is written on an interrupt too)
// holds only those, with the area's spec count and SuitePath
// "suites/<name>", exactly what the ginkgo CLI's report of the area holds.
// RunSpecs can run once per process: one process runs one area.
func RunArea(t GinkgoTestingT, a harness.Area, sc types.SuiteConfig, rc types.ReporterConfig, done func(types.Report)) bool {
	RegisterFailHandler(Fail)
	sc.FocusFiles = append(sc.FocusFiles, FileFilter(a.Name))
	BeforeSuite(harness.RecordHost)
	AfterSuite(harness.EndSuite)
	ReportAfterSuite("kvmconform: the area's report", func(r types.Report) {
		done(AreaReport(r, a.Name))
	})
	return RunSpecs(t, a.Description, a.Labels, sc, rc)
}

// AreaReport keeps of a report of every linked spec those of the area
// named name (and the suite-level nodes), counting its specs as the
// area's suite would (PreRunStats.TotalSpecs), and names the suite
// "suites/<name>".
func AreaReport(r types.Report, name string) types.Report {
	re := regexp.MustCompile(FileFilter(name))
	in := func(s types.SpecReport) bool {
		for _, l := range append(slices.Clone(s.ContainerHierarchyLocations), s.LeafNodeLocation) {
			if re.MatchString(l.FileName) {
				return true
			}
		}
		return false
	}
	var kept []types.SpecReport
	total := 0
	for _, s := range r.SpecReports {
		if s.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) || s.LeafNodeType.Is(types.NodeTypeCleanupAfterSuite) {
			kept = append(kept, s)
			continue
		}
		if in(s) {
			kept = append(kept, s)
			if s.LeafNodeType == types.NodeTypeIt {
				total++
			}
		}
	}
	r.SpecReports = kept
	r.PreRunStats.TotalSpecs = total
	r.SuitePath = "suites/" + name
	return r
}
