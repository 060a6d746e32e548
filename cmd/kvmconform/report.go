package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kvmconform/kvmconform/reports"
	"github.com/kvmconform/kvmconform/suites/all"
)

const reportUsage = `usage: kvmconform report [--expect FILE]... [--out DIR] [--title TEXT] DIR...

Merges the results of many runs into one matrix: a column per run
(architecture x kernel), a row per spec. Each DIR is a run directory:
kvmconform run's (out/run, or a bundle's out/run brought back from another
machine), a ginkgo CLI output directory (report.json), or a QEMU row of
go run ./ci run (out/qemu/<arch>-<kernel>/: <area>.json and metadata.json);
a directory holding run directories (out/qemu) stands for all of them.
Every run is judged with the expectations (the shipped list and every
--expect FILE) against its own host. Writes into --out:

  report.html   the matrix: passed / failed / expected / fixed? / skipped,
                the reason on hover, a failure's message one click away,
                and a table of the runs with their host facts
  ktap.txt      KTAP version 1: a test per run, its areas and specs below
  summary.md    the runs, the expectations' lines, the specs that differ

Exit status: 0 when every run's verdict is OK, 1 when one is not, 2 on a
usage error (an unreadable DIR included).

flags:
`

func reportMain(args []string, stdout, stderr io.Writer) int {
	var expect []string
	var out, title string
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(listFlag{values: &expect}, "expect", "an expectations file added to the shipped list (repeatable; it must exist)")
	fs.StringVar(&out, "out", filepath.Join("out", "report"), "output directory")
	fs.StringVar(&title, "title", "kvmconform conformance matrix", "the page's title")
	dirs, err := parseWithPositionals(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, reportUsage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return 0
	}
	if err == nil && len(dirs) == 0 {
		err = errors.New("no run directory")
	}
	list, code, loaded := usageAndExpectations("report", err, expect, stderr)
	if !loaded {
		return code
	}
	var runs []*reports.Run
	for _, d := range dirs {
		rs, err := loadRuns(d)
		if err != nil {
			fmt.Fprintf(stderr, "kvmconform report: %v\n", oneLine(err.Error()))
			return 2
		}
		runs = append(runs, rs...)
	}
	reports.UniqueLabels(runs)
	for _, r := range runs {
		r.Judge(list)
	}
	m := reports.NewMatrix(runs, all.Names())
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintf(stderr, "kvmconform report: --out: %v\n", err)
		return 2
	}
	var errs []error
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"report.html", func(w io.Writer) error { return reports.WriteHTML(w, m, title, time.Now()) }},
		{"ktap.txt", func(w io.Writer) error { return reports.WriteKTAP(w, m) }},
		{"summary.md", func(w io.Writer) error { return reports.WriteMarkdown(w, m, title) }},
	} {
		errs = append(errs, writeFileAtomic(filepath.Join(out, f.name), f.write))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "kvmconform report: %v\n", err)
		return 1
	}
	ok := true
	for i, r := range runs {
		verdict := "OK"
		if r.Result == nil || !r.Result.OK() {
			verdict, ok = "NOT OK", false
		}
		fmt.Fprintf(stdout, "%-40s %s: %s\n", r.Label, verdict, m.Counts(i))
	}
	fmt.Fprintf(stdout, "%d runs, %d specs: %s (report.html, ktap.txt, summary.md)\n", len(runs), len(m.Rows), out)
	if !ok {
		return 1
	}
	return 0
}

// loadRuns reads the run in dir, or, when dir holds no run itself, every
// run directory in it (out/qemu), in name order.
func loadRuns(dir string) ([]*reports.Run, error) {
	r, err := reports.Load(dir, all.Names())
	if err == nil {
		return []*reports.Run{r}, nil
	}
	entries, rerr := os.ReadDir(dir)
	if rerr != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var runs []*reports.Run
	for _, n := range names {
		if r, err := reports.Load(filepath.Join(dir, n), all.Names()); err == nil {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return nil, err
	}
	return runs, nil
}

// parseWithPositionals parses flags that may come before, between or after
// the positional arguments, and returns those.
func parseWithPositionals(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

const compareUsage = `usage: kvmconform compare [--expect FILE]... BASE CAND

Compares two runs (directories as kvmconform report takes them: a
kvmconform run, ginkgo CLI or QEMU row directory): BASE the kernel shipped,
CAND the candidate. Each run is judged with the expectations against its
own host; specs are matched by area and full text. Lists:

  REGRESSION   passed in BASE, failed in CAND, expected or not: an
               expectation says why a kernel fails, not that failing is
               fine where the base passed (an expected failure in CAND is
               no regression only if it failed in BASE too)
  INCOMPLETE   an area CAND did not report completely
  FIXED        failed in BASE (expected or not), passed in CAND
  NEW SKIP     checked in BASE, skipped in CAND
  NEW FAILURE  skipped in BASE, failed in CAND (not a regression: BASE did
               not check it)
  NOW CHECKED  skipped in BASE, passed in CAND
  ADDED        only in CAND;  REMOVED  only in BASE

and ends with "N regressions, N fixes, N new skips, N new failures, N added,
N removed". Specs that fail in both runs are counted, not listed.

Exit status: 0 without a regression, 1 with one (or when CAND did not
report completely), 2 on a usage error.

flags:
`

func compareMain(args []string, stdout, stderr io.Writer) int {
	var expect []string
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(listFlag{values: &expect}, "expect", "an expectations file added to the shipped list (repeatable; it must exist)")
	dirs, err := parseWithPositionals(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, compareUsage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return 0
	}
	if err == nil && len(dirs) != 2 {
		err = fmt.Errorf("want BASE and CAND, got %d directories", len(dirs))
	}
	list, code, loaded := usageAndExpectations("compare", err, expect, stderr)
	if !loaded {
		return code
	}
	var runs [2]*reports.Run
	for i, d := range dirs {
		r, err := reports.Load(d, all.Names())
		if err != nil {
			fmt.Fprintf(stderr, "kvmconform compare: %v\n", oneLine(err.Error()))
			return 2
		}
		r.Judge(list)
		runs[i] = r
	}
	c := reports.Compare(runs[0], runs[1])
	if err := c.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "kvmconform compare: %v\n", err)
		return 2
	}
	if c.Failed() {
		return 1
	}
	return 0
}
