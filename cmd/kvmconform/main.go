// Command kvmconform is the conformance suite's own command: one static
// binary per GOARCH that links every conformance area (suites/all).
//
//	kvmconform run [--label-filter EXPR] [--focus RE]... [--area NAME]... [--expect FILE]... [--out DIR]
//	kvmconform bundle --arch GOARCH [--out FILE]
//	kvmconform report [--expect FILE]... [--out DIR] DIR...
//	kvmconform compare [--expect FILE]... BASE CAND
//	kvmconform specs
//	kvmconform verdict [--expect FILE]... [--suites DIR,DIR] [--summary FILE] REPORT.json
//
// run runs every area against this machine's KVM device, each as its own
// Ginkgo suite in a process of its own (this binary's internal run-area
// command: Ginkgo runs one suite per process), judges the run with the
// expectations and writes Ginkgo's JSON, JUnit, KTAP, HTML and the text
// summary.
//
// bundle cross-builds this binary for another GOARCH (with the go command,
// on the build host only) into kvmconform-GOARCH.tar.gz (internal/bundle):
// the binary, the shipped expectations and a README; ./kvmconform run from
// the unpacked bundle does the whole job on a machine without Go.
//
// report merges run directories (kvmconform run's, the ginkgo CLI's, QEMU
// rows) into one matrix, a column per run and a row per spec (HTML, KTAP,
// Markdown); compare lists what changed from a base run to a candidate and
// fails on a regression (package reports).
//
// specs lists the specs linked into the binary (Ginkgo's dry run), from
// which tools/genspecs writes docs/specs.md.
//
// verdict applies the expectations (the shipped list, package expectations,
// and every --expect FILE) to a run's Ginkgo JSON report and prints the
// summary: one line per expectation with the specs it covered, the
// unexpected failures, the "fixed?" specs, the suites that did not report,
// and the closing line "N passed, N failed, N expected, N skipped".
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/expectations"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// A command is one subcommand: its name, a line for the usage and its
// entry point, which returns the exit status.
type command struct {
	name, summary string
	main          func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the conformance areas on this machine's KVM and write every report format", runMain},
		{"bundle", "cross-build the binary for a GOARCH into a tar.gz that runs without Go", bundleMain},
		{"report", "merge run directories into one matrix: HTML, KTAP, Markdown", reportMain},
		{"compare", "list the regressions, fixes and new skips from one run to another", compareMain},
		{"specs", "list the specs linked into this binary (a dry run) as JSON lines", specsMain},
		{"verdict", "apply the expectations to a Ginkgo JSON report and judge the run", verdictMain},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kvmconform <command> [flags] [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nkvmconform <command> -h shows a command's flags.")
}

// run dispatches to a subcommand. Exit status 2 is a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	if args[0] == "run-area" { // kvmconform run's own: one area in this process
		return runAreaMain(args[1:], stdout, stderr)
	}
	var names []string
	for _, c := range commands() {
		if c.name == args[0] {
			return c.main(args[1:], stdout, stderr)
		}
		names = append(names, c.name)
	}
	fmt.Fprintf(stderr, "kvmconform: unknown command %q (want %s)\n", args[0], strings.Join(names, ", "))
	return 2
}

// listFlag is a repeatable flag; with split, each value is also split at
// commas.
type listFlag struct {
	values *[]string
	split  bool
}

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, ",")
}

func (l listFlag) Set(s string) error {
	parts := []string{s}
	if l.split {
		parts = strings.Split(s, ",")
	}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p == "" {
			return errors.New("empty value")
		}
		*l.values = append(*l.values, p)
	}
	return nil
}

const verdictUsage = `usage: kvmconform verdict [--expect FILE]... [--suites DIR,DIR] [--summary FILE] REPORT.json

Applies the shipped expectations (expectations/expectations.yaml) and every
--expect FILE to REPORT.json (a Ginkgo JSON report, one entry per suite) and
prints the summary, ending with "N passed, N failed, N expected, N skipped".

Exit status: 0 when every failure is expected and every suite reported
completely; 1 otherwise (a missing or truncated REPORT.json included);
2 on a usage error (bad flag, unreadable or malformed expectations file,
unreadable REPORT.json, unwritable --summary).

flags:
`

type verdictConfig struct {
	expect, suites []string
	summary        string
	report         string
}

func parseVerdict(args []string, stderr io.Writer) (*verdictConfig, error) {
	c := &verdictConfig{}
	fs := flag.NewFlagSet("verdict", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(listFlag{values: &c.expect}, "expect", "an expectations file added to the shipped list (repeatable; it must exist)")
	fs.Var(listFlag{values: &c.suites, split: true}, "suites", "suites that must have reported, comma-separated (e.g. suites/abi,suites/kick; repeatable; default: every suites/<area> below the current directory that has a *_suite_test.go)")
	fs.StringVar(&c.summary, "summary", "", "also write the summary to this file")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stderr, verdictUsage)
				fs.SetOutput(stderr)
				fs.PrintDefaults()
			}
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		// Flags may follow the report too.
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(positional) {
	case 0:
		return nil, errors.New("missing REPORT.json")
	case 1:
		c.report = positional[0]
	default:
		return nil, fmt.Errorf("one REPORT.json, not %d (%s)", len(positional), strings.Join(positional, " "))
	}
	return c, nil
}

func verdictMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseVerdict(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var files []string
	if c != nil {
		files = c.expect
	}
	list, code, ok := usageAndExpectations("verdict", err, files, stderr)
	if !ok {
		return code
	}
	reports, problem, err := readReport(c.report)
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform verdict: %v\n", oneLine(err.Error()))
		return 2
	}
	if len(c.suites) == 0 {
		c.suites = suiteDirs("suites")
	}
	res := expectations.Apply(reports, list, expectations.Options{Suites: c.suites, NoReport: problem})
	var out strings.Builder
	if err := res.WriteSummary(&out); err != nil {
		fmt.Fprintf(stderr, "kvmconform verdict: %v\n", err)
		return 2
	}
	if _, err := io.WriteString(stdout, out.String()); err != nil {
		fmt.Fprintf(stderr, "kvmconform verdict: %v\n", err)
		return 2
	}
	if c.summary != "" {
		if err := os.WriteFile(c.summary, []byte(out.String()), 0o644); err != nil {
			fmt.Fprintf(stderr, "kvmconform verdict: --summary: %v\n", err)
			return 2
		}
	}
	if !res.OK() {
		return 1
	}
	return 0
}

// readReport reads a Ginkgo JSON report. A report that does not exist or
// does not decode is the run's failure (problem says why), not a usage
// error: ginkgo that crashed or was killed leaves none, or half of one.
func readReport(file string) (reports []types.Report, problem string, err error) {
	data, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Sprintf("no report: %s does not exist (ginkgo crashed or was killed before writing it?)", file), nil
	case err != nil:
		return nil, "", fmt.Errorf("report: %w", err)
	}
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Sprintf("no report: %s is not a Ginkgo JSON report (truncated?): %s", file, oneLine(err.Error())), nil
	}
	return reports, "", nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// usageAndExpectations is the preamble every judging subcommand shares:
// a command-line error is one line pointing at -h, an expectations file
// that cannot be loaded one line too (both exit status 2); otherwise the
// shipped list plus the --expect files. ok is false when code is the exit
// status.
func usageAndExpectations(cmd string, parseErr error, files []string, stderr io.Writer) (list []expectations.Expectation, code int, ok bool) {
	if parseErr != nil {
		fmt.Fprintf(stderr, "kvmconform %s: %v (kvmconform %s -h for help)\n", cmd, parseErr, cmd)
		return nil, 2, false
	}
	list, err := expectations.Load(files...)
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform %s: %v\n", cmd, oneLine(err.Error()))
		return nil, 2, false
	}
	return list, 0, true
}

// suiteDirs lists the suite directories below root (root/<area> holding a
// *_suite_test.go), as ginkgo -r names them in its report: the suites a
// run from the module directory must have reported.
func suiteDirs(root string) []string {
	files, _ := filepath.Glob(filepath.Join(root, "*", "*_suite_test.go"))
	var dirs []string
	for _, f := range files {
		d := filepath.ToSlash(filepath.Dir(f))
		if len(dirs) == 0 || dirs[len(dirs)-1] != d {
			dirs = append(dirs, d)
		}
	}
	return dirs
}
