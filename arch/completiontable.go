package arch

import (
	"fmt"
	"strings"
)

// CompletionRow is one line of the CMP-14 table: one completed exit of one
// architecture on one kernel path, and what that path does when userspace
// moved the PC or changed the destination register during the exit.
type CompletionRow struct {
	Arch   string // "x86"
	Exit   string // "KVM_EXIT_IO read"
	Path   string // "fast PIO"; "" where the exit has one path
	Vendor string // x86 vendor module of the path, "" for any
	Param  string // the vendor module parameter that selects it, "" for none
	PC     PCChange
	Reg    RegChange
	Source Source
}

// CompletionTable is the CMP-14 answers of one or more architectures. Its
// String is an aligned text table for a report entry; Markdown renders it
// for docs/completions.md.
type CompletionTable []CompletionRow

// Rows lists an architecture's completions, one row per kernel path, in
// the facts' order.
func (f CompletionFacts) Rows(archName string) CompletionTable {
	var t CompletionTable
	for _, c := range f.Exits {
		exit := "KVM_EXIT_" + c.ExitReason.String()
		if c.Access != AccessNone {
			exit += " " + c.Access.String()
		}
		for _, p := range c.Paths() {
			t = append(t, CompletionRow{Arch: archName, Exit: exit, Path: p.Name, Vendor: p.Vendor, Param: p.VendorParam,
				PC: p.OnPCChange, Reg: p.OnRegChange, Source: p.Source})
		}
	}
	return t
}

func (r CompletionRow) path() string {
	switch {
	case r.Path == "":
		return "-"
	case r.Vendor != "" && r.Param != "":
		return r.Path + " (" + r.Vendor + " " + r.Param + ")"
	case r.Vendor != "":
		return r.Path + " (" + r.Vendor + ")"
	}
	return r.Path
}

func (r CompletionRow) where() string {
	if r.Source.Function == "" {
		return r.Source.File
	}
	return r.Source.File + " " + r.Source.Function
}

// String renders the table as aligned text: arch, exit, path, the PC and
// register answers, source and first version (notes left out).
func (t CompletionTable) String() string {
	if len(t) == 0 {
		return "no completions"
	}
	head := []string{"arch", "exit", "path", "PC moved", "register changed", "source", "since"}
	rows := [][]string{head}
	for _, r := range t {
		rows = append(rows, []string{r.Arch, r.Exit, r.path(), r.PC.String(), r.Reg.String(), r.where(), r.Source.Since})
	}
	width := make([]int, len(head))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			if i == len(row)-1 {
				b.WriteString(cell)
				break
			}
			fmt.Fprintf(&b, "%-*s  ", width[i], cell)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Markdown renders the table as a Markdown table, with each row's source
// note as a numbered footnote under it.
func (t CompletionTable) Markdown() string {
	var b strings.Builder
	b.WriteString("| arch | exit | kernel path | PC moved during the exit | destination register changed | source | since |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	var notes []string
	for _, r := range t {
		since := r.Source.Since
		if r.Source.Note != "" {
			notes = append(notes, r.Source.Note)
			since += fmt.Sprintf(" [%d]", len(notes))
		}
		where := "`" + r.Source.File + "`"
		if r.Source.Function != "" {
			where += " `" + r.Source.Function + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			r.Arch, mdEscape(r.Exit), mdEscape(r.path()), r.PC, r.Reg, where, since)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for i, n := range notes {
			fmt.Fprintf(&b, "%d. %s\n", i+1, mdEscape(n))
		}
	}
	return b.String()
}

// mdEscape keeps a cell's text from breaking the table or turning into
// emphasis.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "_", `\_`, "*", `\*`).Replace(s)
}
