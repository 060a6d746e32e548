package reports

import (
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
)

// WriteHTML writes the matrix as one self-contained HTML page (no scripts,
// no external resources): a table of the runs with their host facts,
// counts and verdicts, then a table with a column per run and a row per
// spec, grouped by area. A cell says passed, failed, expected (failed as
// an expectation says), fixed? (passed though an expectation says it
// fails), skipped, or is empty (the run does not have the spec); its title
// (the hover) says why, and a failure's message is in a <details> one
// click away. Rows whose outcome differs between runs are marked.
func WriteHTML(w io.Writer, m *Matrix, title string, generated time.Time) error {
	type runView struct {
		Label, Kernel string
		Facts         []hostinfo.Fact
		Counts        expectations.Counts
		OK            bool
		Verdict       string
	}
	type cellView struct {
		Class, Text, Title, Detail string
	}
	type rowView struct {
		IDs, Text string
		Whole     bool
		Differs   bool
		Cells     []cellView
	}
	type areaView struct {
		key, Name string
		Rows      []rowView
	}
	v := struct {
		Title     string
		Generated string
		Runs      []runView
		Areas     []areaView
		Columns   int
	}{Title: title, Generated: generated.UTC().Format(time.RFC3339), Columns: len(m.Runs) + 2}
	for i, r := range m.Runs {
		rv := runView{Label: r.Label, Kernel: r.Kernel(), Facts: hostFacts(r), Counts: m.Counts(i), OK: runOK(r)}
		switch {
		case r.Result == nil:
			rv.Verdict = "not judged"
		case rv.OK:
			rv.Verdict = "OK"
		default:
			rv.Verdict = "NOT OK"
		}
		v.Runs = append(v.Runs, rv)
	}
	// NewMatrix groups the rows by area.
	for _, row := range m.Rows {
		if len(v.Areas) == 0 || v.Areas[len(v.Areas)-1].key != row.Area {
			name := row.Area
			if name == "" {
				name = "run"
			}
			v.Areas = append(v.Areas, areaView{key: row.Area, Name: name})
		}
		a := &v.Areas[len(v.Areas)-1]
		rv := rowView{IDs: strings.Join(row.IDs, ", "), Text: row.Text, Whole: row.Text == WholeArea, Differs: row.Differs()}
		for _, c := range row.Cells {
			cv := cellView{Class: "absent", Text: "", Title: "not in this run (another architecture's spec, or not run)"}
			switch c.Outcome {
			case expectations.Passed:
				cv = cellView{Class: "passed", Text: "passed", Title: c.Reason}
			case expectations.Fixed:
				cv = cellView{Class: "fixed", Text: "fixed?", Title: c.Reason}
			case expectations.Skipped:
				cv = cellView{Class: "skipped", Text: "skipped", Title: c.Reason}
			case expectations.Expected:
				cv = cellView{Class: "expected", Text: "expected", Title: c.Reason, Detail: c.Detail}
			case expectations.Failed:
				cv = cellView{Class: "failed", Text: "failed", Title: c.Reason, Detail: c.Detail}
				if cv.Detail == "" {
					cv.Detail = c.Message
				}
			}
			rv.Cells = append(rv.Cells, cv)
		}
		a.Rows = append(a.Rows, rv)
	}
	return pageTemplate.Execute(w, v)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.86em; }
th, td { border: 1px solid #c8c8c8; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
thead th { background: #eef1f5; position: sticky; top: 0; }
table.runs td.facts { font-size: 0.92em; }
table.runs dl { margin: 0; display: grid; grid-template-columns: max-content auto; column-gap: 0.6em; }
table.runs dt { color: #555; }
table.runs dd { margin: 0; overflow-wrap: anywhere; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #146c2e; font-weight: bold; }
.notok { color: #b3261e; font-weight: bold; }
tr.area th { background: #dde3ea; font-size: 1.05em; }
td.ids { white-space: nowrap; font-family: ui-monospace, monospace; }
td.spec { max-width: 46em; }
tr.differs td.spec { border-left: 4px solid #7a4fbf; }
tr.whole td.spec { font-style: italic; }
td.cell { white-space: nowrap; text-align: center; min-width: 6em; }
td.passed { background: #d7f2dc; color: #145c27; }
td.fixed { background: #e5f7c8; color: #3c5c14; }
td.skipped { background: #efefef; color: #666; }
td.expected { background: #ffe8c2; color: #7a4a00; }
td.failed { background: #fbd3cf; color: #8c1d14; font-weight: bold; }
td.absent { background: #fafafa; }
details summary { cursor: pointer; }
details pre { text-align: left; white-space: pre-wrap; max-width: 60em; font-size: 0.92em; font-weight: normal; color: #1b1b1b; background: #fff; border: 1px solid #ddd; padding: 0.4em; }
.legend span { display: inline-block; padding: 0.1em 0.5em; margin-right: 0.4em; border: 1px solid #c8c8c8; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Generated {{.Generated}} by kvmconform. Hover over a cell for why; click a failure for its message.</p>
<p class="legend"><span class="cell passed" style="background:#d7f2dc">passed</span><span style="background:#fbd3cf">failed</span><span style="background:#ffe8c2">expected: failed as an expectation explains</span><span style="background:#e5f7c8">fixed?: passed though an expectation says it fails</span><span style="background:#efefef">skipped</span><span>empty: not in this run</span></p>

<h2>Runs</h2>
<table class="runs" id="runs">
<thead><tr><th>run</th><th>host</th><th>passed</th><th>failed</th><th>expected</th><th>skipped</th><th>verdict</th></tr></thead>
<tbody>
{{- range .Runs}}
<tr><th>{{.Label}}</th><td class="facts"><dl>{{range .Facts}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl></td><td class="num">{{.Counts.Passed}}</td><td class="num">{{.Counts.Failed}}</td><td class="num">{{.Counts.Expected}}</td><td class="num">{{.Counts.Skipped}}</td><td class="{{if .OK}}ok{{else}}notok{{end}}">{{.Verdict}}</td></tr>
{{- end}}
</tbody>
</table>

<h2>Specs</h2>
<table class="matrix" id="matrix">
<thead><tr><th>spec line</th><th>spec</th>{{range .Runs}}<th title="{{.Kernel}}">{{.Label}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Areas}}
<tr class="area"><th colspan="{{$.Columns}}">{{.Name}}</th></tr>
{{- range .Rows}}
<tr class="spec{{if .Differs}} differs{{end}}{{if .Whole}} whole{{end}}"><td class="ids">{{.IDs}}</td><td class="spec">{{.Text}}</td>
{{- range .Cells}}<td class="cell {{.Class}}" title="{{.Title}}">{{if .Detail}}<details><summary>{{.Text}}</summary><pre>{{.Detail}}</pre></details>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{- end}}
{{- end}}
</tbody>
</table>
</body>
</html>
`))
