package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/kvmconform/kvmconform/expectations"
)

// WriteSummary writes a judged run's text summary: its host facts, then the
// expectations' summary (expectations.Result.WriteSummary), which ends with
// the verdict and the closing line "N passed, N failed, N expected, N
// skipped".
func WriteSummary(w io.Writer, run *Run) error {
	for _, f := range hostFacts(run) {
		if _, err := fmt.Fprintf(w, "%s: %s\n", f.Name, f.Value); err != nil {
			return err
		}
	}
	if run.Result == nil {
		_, err := fmt.Fprintln(w, "not judged")
		return err
	}
	return run.Result.WriteSummary(w)
}

// WriteMarkdown writes the matrix's summary in Markdown: a table of the
// runs (host, counts, verdict), the expectations' lines over all runs
// (expectations.WriteDetails, in a code block), and a table of the specs
// whose outcome differs between runs.
func WriteMarkdown(w io.Writer, m *Matrix, title string) error {
	p := &mdPrinter{w: w}
	p.f("# %s\n\n", md(title))
	p.f("| run | kernel | KVM modules | CPU | passed | failed | expected | skipped | verdict |\n")
	p.f("|---|---|---|---|--:|--:|--:|--:|---|\n")
	var runs []expectations.Run
	for i, r := range m.Runs {
		c := m.Counts(i)
		verdict := "NOT OK"
		if runOK(r) {
			verdict = "OK"
		}
		mods := strings.Join(r.Host.Modules, ",")
		if mods == "" {
			mods = "none"
		}
		p.f("| %s | %s | %s | %s | %d | %d | %d | %d | %s |\n", md(r.Label), md(r.Kernel()), md(mods), md(r.Host.CPU()),
			c.Passed, c.Failed, c.Expected, c.Skipped, verdict)
		if r.Result != nil {
			runs = append(runs, expectations.Run{Label: r.Label, Result: r.Result})
		}
	}
	var details strings.Builder
	if err := expectations.WriteDetails(&details, runs); err != nil {
		return err
	}
	if details.Len() > 0 {
		p.f("\n## Expectations and failures\n\n```\n%s```\n", details.String())
	}
	var differ []Row
	for _, row := range m.Rows {
		if row.Differs() {
			differ = append(differ, row)
		}
	}
	if len(m.Runs) > 1 {
		p.f("\n## Specs whose outcome differs between runs (%d)\n\n", len(differ))
		if len(differ) == 0 {
			p.f("None: every spec has the same outcome in every run that has it.\n")
		} else {
			p.f("| area | spec |")
			for _, r := range m.Runs {
				p.f(" %s |", md(r.Label))
			}
			p.f("\n|---|---|%s\n", strings.Repeat("---|", len(m.Runs)))
			for _, row := range differ {
				p.f("| %s | %s |", md(row.Area), md(row.Text))
				for _, c := range row.Cells {
					o := string(c.Outcome)
					if o == "" {
						o = "–"
					}
					p.f(" %s |", o)
				}
				p.f("\n")
			}
		}
	}
	total := expectations.Counts{}
	for i := range m.Runs {
		total.Add(m.Counts(i))
	}
	p.f("\n%d runs: %s\n", len(m.Runs), total)
	return p.err
}

type mdPrinter struct {
	w   io.Writer
	err error
}

func (p *mdPrinter) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// md escapes a table cell.
func md(s string) string {
	s = oneLine(s)
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}
