// Package results turns the Ginkgo JSON reports that came back from a guest
// into JUnit XML and the matrix table (with what package expectations made
// of them), and writes a run's output directory atomically.
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

	"github.com/kvmconform/kvmconform/expectations"
)

// Counts are a row's spec outcomes, as expectations.Apply classified them:
// Failed are the unexpected failures (and suites that did not report),
// Expected the failures an expectation covers. Pending specs count as
// skipped.
type Counts struct {
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Expected int `json:"expected"`
}

// CountsOf converts expectations' counts.
func CountsOf(c expectations.Counts) Counts {
	return Counts{Passed: c.Passed, Failed: c.Failed, Skipped: c.Skipped, Expected: c.Expected}
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Passed += o.Passed
	c.Failed += o.Failed
	c.Skipped += o.Skipped
	c.Expected += o.Expected
}

// String is the plain closing line CI runners recognise: "N passed, N
// failed, N skipped". Expected failures are reported on the lines before
// it, never on it.
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
	// Dir is the row's output directory, once written ("" if none).
	Dir    string
	Counts Counts
	Wall   time.Duration
	// Note replaces the counts (e.g. for architectures that are only
	// cross-built).
	Note string
	// Err is a run that did not complete; it counts as one failure.
	Err error
	// Expect is the row's classification by the expectations (nil when
	// no suite ran).
	Expect *expectations.Result
	// Remark is shown in the note column next to the counts (e.g. how
	// many repeated runs passed).
	Remark string
	// Variant names the row's KVM implementation when it is not the
	// architecture's default ("nvhe", "pr"); the ARCH column shows
	// arch-variant.
	Variant string
}

// Total sums the rows; a row with Err counts at least one failure (its
// counts may already hold it: a suite that sent no report is both).
func Total(rows []Row) Counts {
	var c Counts
	for _, r := range rows {
		c.Add(r.Counts)
		if r.Err != nil && r.Counts.Failed == 0 {
			c.Failed++
		}
	}
	return c
}

// Label names a row in the summary lines: "amd64 debian:trixie".
func (r Row) Label() string {
	if r.Kernel == "" {
		return r.ArchName()
	}
	return r.ArchName() + " " + r.Kernel
}

// ArchName is the ARCH column: the architecture, with "-<variant>" for a
// variant ("arm64-nvhe").
func (r Row) ArchName() string {
	if r.Variant == "" {
		return r.Arch
	}
	return r.Arch + "-" + r.Variant
}

// Table writes the matrix table, then what the expectations made of the
// rows (one EXPECTED line per expectation with the rows and specs it
// covered, the unexpected failures, the "fixed?" specs, the suites that did
// not report; expectations.WriteDetails), the line "N expected failures",
// and the closing line "N passed, N failed, N skipped".
func Table(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARCH\tKERNEL\tPASSED\tFAILED\tEXPECTED\tSKIPPED\tWALL\tNOTE")
	for _, r := range rows {
		kernel := r.Kernel
		if kernel == "" {
			kernel = "-"
		}
		switch {
		case r.Note != "" && r.Err == nil:
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t%s\t%s\n", r.ArchName(), kernel, wall(r.Wall), r.Note)
		default:
			note := r.Note
			if r.Remark != "" {
				note = strings.TrimSpace(note + " " + r.Remark)
			}
			if r.Err != nil {
				note = "ERROR: " + firstLine(r.Err.Error())
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.ArchName(), kernel,
				r.Counts.Passed, r.Counts.Failed, r.Counts.Expected, r.Counts.Skipped, wall(r.Wall), note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var runs []expectations.Run
	for _, r := range rows {
		if r.Expect != nil {
			runs = append(runs, expectations.Run{Label: r.Label(), Result: r.Expect})
		}
	}
	if err := expectations.WriteDetails(w, runs); err != nil {
		return err
	}
	total := Total(rows)
	// The expected count has a line of its own: the closing line keeps the
	// shape "N passed, N failed, N skipped" that CI runners recognise.
	if _, err := fmt.Fprintf(w, "%d expected failures (listed in the expectations; they fail in the reports, not the run)\n", total.Expected); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, total.String())
	return err
}

func wall(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// firstLine shortens an error for the table's note: its lines (errors.Join
// joins with newlines) become one, cut at 200 characters.
func firstLine(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
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
