// Package results turns the Ginkgo JSON reports that came back from a guest
// into counts, JUnit XML and the matrix table, and writes a run's output
// directory atomically.
package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// Counts are spec outcomes. Pending specs count as skipped. Known counts
// failed specs that a KnownFailure entry covers; they are not in Failed.
type Counts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Known   int `json:"knownFailures"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Passed += o.Passed
	c.Failed += o.Failed
	c.Skipped += o.Skipped
	c.Known += o.Known
}

// String is the plain closing line: "N passed, N failed, N skipped".
// Known failures are reported on their own lines before it.
func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.Passed, c.Failed, c.Skipped)
}

// ParseReport decodes a Ginkgo JSON report ([]types.Report).
func ParseReport(data []byte) ([]types.Report, error) {
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("parsing Ginkgo JSON report: %w", err)
	}
	if len(reports) == 0 {
		return nil, fmt.Errorf("parsing Ginkgo JSON report: no suite in it")
	}
	return reports, nil
}

// Count counts It specs by state. A failed suite-level node (BeforeSuite,
// AfterSuite, ...) counts as one failure, and so does a suite that did not
// succeed without any failed spec.
func Count(reports []types.Report) Counts {
	var c Counts
	for _, r := range reports {
		failed := 0
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt {
				if s.State.Is(types.SpecStateFailureStates) {
					failed++
				}
				continue
			}
			switch {
			case s.State == types.SpecStatePassed:
				c.Passed++
			case s.State.Is(types.SpecStateFailureStates):
				failed++
			case s.State.Is(types.SpecStateSkipped | types.SpecStatePending):
				c.Skipped++
			}
		}
		if failed == 0 && !r.SuiteSucceeded {
			failed = 1
		}
		c.Failed += failed
	}
	return c
}

// JUnit writes the JUnit XML for reports (one file; several suites in one
// report are merged).
func JUnit(reports []types.Report, dst string) error {
	if len(reports) == 1 {
		if err := reporters.GenerateJUnitReport(reports[0], dst); err != nil {
			return fmt.Errorf("writing JUnit report: %w", err)
		}
		return nil
	}
	var parts []string
	for i, r := range reports {
		p := fmt.Sprintf("%s.part%d", dst, i)
		if err := reporters.GenerateJUnitReport(r, p); err != nil {
			return fmt.Errorf("writing JUnit report: %w", err)
		}
		parts = append(parts, p)
	}
	if _, err := reporters.MergeAndCleanupJUnitReports(parts, dst); err != nil {
		return fmt.Errorf("merging JUnit reports: %w", err)
	}
	return nil
}

// Stage is an output directory being written. Files go to a temporary
// sibling directory; Commit renames it into place, so a reader never sees
// a half-written result.
type Stage struct {
	final, tmp string
}

// NewStage starts writing the output directory dir.
func NewStage(dir string) (*Stage, error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("output directory: %w", err)
	}
	return &Stage{final: dir, tmp: tmp}, nil
}

// Path returns where name is being written.
func (s *Stage) Path(name string) string { return filepath.Join(s.tmp, name) }

// Dir is the final directory.
func (s *Stage) Dir() string { return s.final }

// WriteFile writes one file into the stage.
func (s *Stage) WriteFile(name string, data []byte) error {
	if err := os.WriteFile(s.Path(name), data, 0o644); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

// WriteJSON writes v as indented JSON.
func (s *Stage) WriteJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("output %s: %w", name, err)
	}
	return s.WriteFile(name, append(data, '\n'))
}

// Commit replaces the final directory with the stage.
func (s *Stage) Commit() error {
	old := ""
	if _, err := os.Lstat(s.final); err == nil {
		old = s.tmp + ".old"
		if err := os.Rename(s.final, old); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	if err := os.Rename(s.tmp, s.final); err != nil {
		if old != "" {
			_ = os.Rename(old, s.final)
		}
		return fmt.Errorf("output: %w", err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("output: removing the previous result: %w", err)
		}
	}
	return nil
}

// Abort removes the stage.
func (s *Stage) Abort() { _ = os.RemoveAll(s.tmp) }

// Row is one line of the matrix table.
type Row struct {
	Arch, Kernel string
	Counts       Counts
	Wall         time.Duration
	// Note replaces the counts (e.g. for architectures that are only
	// cross-built).
	Note string
	// Err is a run that did not complete; it counts as one failure.
	Err error
	// Findings are the failed specs a known-failure entry covers.
	Findings []Finding
	// Remark is shown in the note column next to the counts (e.g. how
	// many repeated runs passed).
	Remark string
}

// Total sums the rows; a row with Err adds one failure.
func Total(rows []Row) Counts {
	var c Counts
	for _, r := range rows {
		c.Add(r.Counts)
		if r.Err != nil {
			c.Failed++
		}
	}
	return c
}

// Table writes the matrix table followed by the closing line
// "N passed, N failed, N skipped".
func Table(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARCH\tKERNEL\tPASSED\tFAILED\tKNOWN\tSKIPPED\tWALL\tNOTE")
	for _, r := range rows {
		kernel := r.Kernel
		if kernel == "" {
			kernel = "-"
		}
		switch {
		case r.Note != "" && r.Err == nil:
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t%s\t%s\n", r.Arch, kernel, wall(r.Wall), r.Note)
		default:
			note := r.Note
			if r.Remark != "" {
				note = strings.TrimSpace(note + " " + r.Remark)
			}
			if r.Err != nil {
				note = "ERROR: " + firstLine(r.Err.Error())
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Arch, kernel,
				r.Counts.Passed, r.Counts.Failed, r.Counts.Known, r.Counts.Skipped, wall(r.Wall), note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var findings []Finding
	for _, r := range rows {
		findings = append(findings, r.Findings...)
	}
	if len(findings) > 0 {
		fmt.Fprintf(w, "%d known failures (investigated kernel or emulation findings, listed in ci/known-failures.json; they fail in the reports but not the run):\n", len(findings))
		for _, f := range findings {
			fmt.Fprintf(w, "  KNOWN %s\n", f)
		}
	}
	_, err := fmt.Fprintln(w, Total(rows).String())
	return err
}

func wall(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("output: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("output: %w", err)
	}
	return nil
}
