package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/reports"
	"github.com/kvmconform/kvmconform/suites/all"
)

const runUsage = `usage: kvmconform run [--label-filter EXPR] [--focus RE]... [--skip RE]... [--area NAME]... [--expect FILE]... [--out DIR] [--formats LIST] [--area-json DIR] [-v]

Runs the conformance areas (every suites/<area> linked into this binary, or
those given with --area) against this machine's KVM device
($KVMCONFORM_DEVICE or /dev/kvm), judges the run with the expectations (the
shipped list and every --expect FILE) and writes into --out:

  report.json   Ginkgo's JSON report, one suite report per area
  junit.xml     JUnit XML, a testsuite per area, the host facts as properties
  ktap.txt      KTAP version 1, a test per area with a subtest per spec
  report.html   a self-contained HTML page: the host, the counts, every spec
  summary.txt   the verdict's summary (kvmconform verdict), ending with
                "N passed, N failed, N expected, N skipped"
  metadata.json the run: areas, filters, host, times, each area's process
                (how long it ran, whether its part of the verdict is OK)

(--formats LIST writes only the formats named, of json, junit, ktap, html
and summary; metadata.json is always written), and, with --area-json DIR,
each area's own report (as its process wrote it)
as DIR/<area>.json as soon as the area ends (the QEMU guest sends those).

Every format carries the host facts: kernel release, KVM modules, CPU vendor
and model, GOARCH, the KVM capabilities probed. Each area runs as its own
Ginkgo suite in a process of its own (this binary again), like the ginkgo
CLI with --keep-going: a failing or crashing area does not stop the others.

Exit status: 0 when every failure is expected and every area reported
completely; 1 otherwise (an interrupted run included: SIGINT or SIGTERM
stops the running area, which still writes its report, and every format is
written with what was collected); 2 on a usage error.

flags:
`

type runConfig struct {
	labelFilter string
	focus, skip []string
	areas       []string
	expect      []string
	out         string
	areaJSON    string
	formats     []string // report formats written (runFormats names), metadata.json always
	verbose     bool
	timeout     time.Duration
}

func runFlags(c *runConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.labelFilter, "label-filter", "", "Ginkgo label filter: spec lines, areas, architectures ('CMP-4', 'immediate-exit && x86', '!kick')")
	fs.Var(listFlag{values: &c.focus}, "focus", "run only the specs whose text matches this regular expression (repeatable)")
	fs.Var(listFlag{values: &c.skip}, "skip", "skip the specs whose text matches this regular expression (repeatable)")
	fs.Var(listFlag{values: &c.areas, split: true}, "area", "run only these areas, comma-separated or repeated (default every area: "+strings.Join(all.Names(), ", ")+")")
	fs.Var(listFlag{values: &c.expect}, "expect", "an expectations file added to the shipped list (repeatable; it must exist)")
	fs.StringVar(&c.out, "out", filepath.Join("out", "run"), "output directory")
	fs.Var(listFlag{values: &c.formats, split: true}, "formats", "write only these report formats, comma-separated or repeated: "+strings.Join(runFormats(), ", ")+" (default all; metadata.json is always written)")
	fs.StringVar(&c.areaJSON, "area-json", "", "also write each area's own Ginkgo JSON report to DIR/<area>.json as soon as the area ends")
	fs.BoolVar(&c.verbose, "v", false, "verbose Ginkgo output (every spec as it runs)")
	fs.DurationVar(&c.timeout, "timeout", time.Hour, "time limit of each area (Ginkgo's suite timeout)")
	return fs
}

func parseRun(args []string, stderr io.Writer) (*runConfig, error) {
	c := &runConfig{}
	fs := runFlags(c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, runUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.labelFilter != "" {
		if _, err := types.ParseLabelFilter(c.labelFilter); err != nil {
			return nil, fmt.Errorf("--label-filter %q: %s", c.labelFilter, oneLine(err.Error()))
		}
	}
	for _, re := range append(slices.Clone(c.focus), c.skip...) {
		if _, err := regexp.Compile(re); err != nil {
			return nil, fmt.Errorf("--focus/--skip %q: %v", re, err)
		}
	}
	if len(c.areas) == 0 {
		c.areas = all.Names()
	}
	c.areas = slices.Compact(slices.SortedFunc(slices.Values(c.areas), func(a, b string) int {
		// In the binary's order (all.Areas), unknown names last.
		ia, ib := slices.Index(all.Names(), a), slices.Index(all.Names(), b)
		if ia < 0 {
			ia = len(all.Areas)
		}
		if ib < 0 {
			ib = len(all.Areas)
		}
		return ia - ib
	}))
	for _, a := range c.areas {
		if _, ok := all.Lookup(a); !ok {
			return nil, fmt.Errorf("--area %q: no such area (want %s)", a, strings.Join(all.Names(), ", "))
		}
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("--timeout %s: must be positive", c.timeout)
	}
	if len(c.formats) == 0 {
		c.formats = runFormats()
	}
	for _, f := range c.formats {
		if !slices.Contains(runFormats(), f) {
			return nil, fmt.Errorf("--formats %q: no such format (want %s)", f, strings.Join(runFormats(), ", "))
		}
	}
	return c, nil
}

// exitGrace is how long an area's process may take to exit after it wrote
// its report before it is left behind: a vCPU stuck in the kernel can keep
// a process from exiting (kvm.Abandoned), and that must not hang the run.
var exitGrace = 30 * time.Second

func runMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseRun(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var files []string
	if c != nil {
		files = c.expect
	}
	list, code, ok := usageAndExpectations("run", err, files, stderr)
	if !ok {
		return code
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		fmt.Fprintf(stderr, "kvmconform run: --out: %v\n", err)
		return 2
	}
	if c.areaJSON != "" {
		if err := os.MkdirAll(c.areaJSON, 0o755); err != nil {
			fmt.Fprintf(stderr, "kvmconform run: --area-json: %v\n", err)
			return 2
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform run: cannot find this binary to run the areas: %v\n", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "kvmconform-run-*")
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform run: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	start := time.Now()
	meta := reports.RunMeta{Kind: "native", Areas: c.areas, LabelFilter: c.labelFilter, Focus: c.focus, Skip: c.skip,
		Expect: c.expect, Started: start.UTC(), Problems: map[string]string{}, Version: version()}
	var collected []types.Report
	interrupted := false
	for _, area := range c.areas {
		if interrupted {
			meta.Problems[area] = "not run: the run was interrupted"
			continue
		}
		file := filepath.Join(tmp, area+".json")
		areaStart := time.Now()
		problem, intr := runArea(self, area, file, c, sigs, stdout, stderr)
		meta.AreaRuns = append(meta.AreaRuns, reports.AreaRun{Name: area, Seconds: time.Since(areaStart).Seconds()})
		interrupted = interrupted || intr
		data, err := os.ReadFile(file)
		if err == nil {
			var r []types.Report
			if err = json.Unmarshal(data, &r); err == nil {
				collected = append(collected, r...)
			}
		}
		if err == nil && c.areaJSON != "" {
			err = writeFileAtomic(filepath.Join(c.areaJSON, area+".json"), func(w io.Writer) error { _, err := w.Write(data); return err })
			if err != nil {
				fmt.Fprintf(stderr, "kvmconform run: --area-json: %v\n", err)
			}
		}
		if err != nil && problem == "" {
			problem = "no report: " + err.Error()
		}
		if problem != "" {
			meta.Problems[area] = problem
			fmt.Fprintf(stderr, "kvmconform run: area %s: %s\n", area, problem)
		}
	}
	meta.Interrupted = interrupted
	meta.WallSeconds = time.Since(start).Seconds()

	run := reports.NewRun("", collected, c.areas, "")
	res := run.Judge(list)
	meta.Host = run.Host
	for i := range meta.AreaRuns {
		meta.AreaRuns[i].OK = areaOK(res, meta.AreaRuns[i].Name)
	}
	written, err := writeRun(c.out, c.formats, run, &meta, collected)
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform run: %v\n", err)
		return 1
	}
	var sum strings.Builder
	_ = reports.WriteSummary(&sum, run)
	fmt.Fprint(stdout, "\n"+sum.String())
	fmt.Fprintf(stderr, "kvmconform run: wrote %s (%s) in %.1fs\n", c.out, strings.Join(written, ", "), meta.WallSeconds)
	if interrupted {
		fmt.Fprintln(stderr, "kvmconform run: interrupted")
		return 1
	}
	if !run.Result.OK() {
		return 1
	}
	return 0
}

// areaOK is one area's part of the verdict res: it reported completely and
// every failure in it is expected (its suite counts no unexpected failure),
// and the run as a whole has no other problem.
func areaOK(res *expectations.Result, area string) bool {
	if len(res.Problems) > 0 {
		return false
	}
	for _, s := range res.Suites {
		if path.Base(path.Clean(s.Name)) == area && (s.Problem != "" || s.Counts.Failed > 0) {
			return false
		}
	}
	return true
}

// runFormats are the report formats kvmconform run can write (--formats),
// in the order it writes them.
func runFormats() []string { return []string{"json", "junit", "ktap", "html", "summary"} }

// writeRun writes the formats named (runFormats) and metadata.json into
// dir; it returns the files it wrote, metadata.json last.
func writeRun(dir string, formats []string, run *reports.Run, meta *reports.RunMeta, collected []types.Report) ([]string, error) {
	if collected == nil {
		collected = []types.Report{}
	}
	m := reports.NewMatrix([]*reports.Run{run}, all.Names())
	title := "kvmconform run: " + run.Label
	files := []struct {
		format string // "" for metadata.json: always written
		name   string
		write  func(io.Writer) error
	}{
		{"json", reports.ReportFile, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(collected)
		}},
		{"junit", "junit.xml", func(w io.Writer) error { return reports.WriteJUnit(w, run) }},
		{"ktap", "ktap.txt", func(w io.Writer) error { return reports.WriteKTAP(w, m) }},
		{"html", "report.html", func(w io.Writer) error { return reports.WriteHTML(w, m, title, time.Now()) }},
		{"summary", "summary.txt", func(w io.Writer) error { return reports.WriteSummary(w, run) }},
		{"", reports.MetadataFile, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(meta)
		}},
	}
	var written []string
	var errs []error
	for _, f := range files {
		if f.format != "" && !slices.Contains(formats, f.format) {
			continue
		}
		errs = append(errs, writeFileAtomic(filepath.Join(dir, f.name), f.write))
		written = append(written, f.name)
	}
	return written, errors.Join(errs...)
}

// writeFileAtomic writes a file through a temporary one and a rename, so
// a reader never sees half of it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(tmp)
	werr := write(bw)
	ferr := bw.Flush()
	cerr := tmp.Close()
	if err := errors.Join(werr, ferr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// doneFDEnv names the file descriptor on which an area's process says its
// report is written.
const doneFDEnv = "KVMCONFORM_DONE_FD"

// runArea runs one area in a process of its own (this binary's run-area
// command, in its own process group so a terminal's ^C reaches only this
// process, which forwards it once). It returns why the area has no
// complete report ("" if that is not known here) and whether the run was
// interrupted.
func runArea(self, area, file string, c *runConfig, sigs <-chan os.Signal, stdout, stderr io.Writer) (problem string, interrupted bool) {
	args := []string{"run-area", "--area", area, "--json", file, "--timeout", c.timeout.String()}
	if c.labelFilter != "" {
		args = append(args, "--label-filter", c.labelFilter)
	}
	for _, f := range c.focus {
		args = append(args, "--focus", f)
	}
	for _, s := range c.skip {
		args = append(args, "--skip", s)
	}
	if c.verbose {
		args = append(args, "-v")
	}
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		return "start: " + err.Error(), false
	}
	defer pr.Close()
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Env = append(os.Environ(), doneFDEnv+"=3")
	if err := cmd.Start(); err != nil {
		pw.Close()
		return "start: " + err.Error(), false
	}
	pw.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	reported := make(chan struct{})
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		if strings.TrimSpace(line) == "done" {
			close(reported)
		}
	}()
	var grace <-chan time.Time
	for {
		select {
		case s := <-sigs:
			interrupted = true
			fmt.Fprintf(stderr, "kvmconform run: %v: stopping area %s (it writes its report first)\n", s, area)
			_ = cmd.Process.Signal(s)
		case <-reported:
			reported = nil
			grace = time.After(exitGrace)
		case <-grace:
			return fmt.Sprintf("its process (pid %d) did not exit %s after writing its report (a vCPU stuck in KVM_RUN?); left behind",
				cmd.Process.Pid, exitGrace), interrupted
		case err := <-exited:
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee) && ee.ExitCode() == 1:
				// Ginkgo's "some spec failed"; the report says which.
			case errors.As(err, &ee):
				if _, serr := os.Stat(file); serr != nil {
					return fmt.Sprintf("crashed (%v) without a report", err), interrupted
				}
			default:
				return err.Error(), interrupted
			}
			return "", interrupted
		}
	}
}

// runAreaMain is the hidden run-area command: one area as one Ginkgo suite
// in this process, its JSON report (that area's only) written to --json.
func runAreaMain(args []string, stdout, stderr io.Writer) int {
	var jsonFile string
	c := &runConfig{}
	fs := runFlags(c)
	fs.StringVar(&jsonFile, "json", "", "where to write the area's Ginkgo JSON report")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || len(c.areas) != 1 || jsonFile == "" {
		fmt.Fprintln(stderr, "kvmconform run-area: the internal command of kvmconform run: run-area --area NAME --json FILE [run's filter flags]")
		return 2
	}
	areaName := c.areas[0]
	a, ok := all.Lookup(areaName)
	if !ok {
		fmt.Fprintf(stderr, "kvmconform run-area: no area %q\n", areaName)
		return 2
	}
	sc, rc := ginkgo.GinkgoConfiguration()
	sc.LabelFilter = c.labelFilter
	sc.FocusStrings = c.focus
	sc.SkipStrings = c.skip
	sc.Timeout = c.timeout
	rc.Verbose = c.verbose
	rc.NoColor = os.Getenv("NO_COLOR") != "" || !isTerminal(os.Stdout)
	// The other areas' specs are linked in too and filtered out by file:
	// do not print a marker for each of them.
	rc.SilenceSkips = true
	var t failT
	ok = all.RunArea(&t, a, sc, rc, func(r types.Report) {
		data, err := json.MarshalIndent([]types.Report{r}, "", "  ")
		if err == nil {
			err = writeFileAtomic(jsonFile, func(w io.Writer) error { _, err := w.Write(append(data, '\n')); return err })
		}
		if err != nil {
			fmt.Fprintf(stderr, "kvmconform run-area: writing the report: %v\n", err)
			return
		}
		if fd, err := strconv.Atoi(os.Getenv(doneFDEnv)); err == nil && fd > 2 {
			f := os.NewFile(uintptr(fd), "done")
			fmt.Fprintln(f, "done")
			f.Close()
		}
	})
	if !ok || t.failed {
		return 1
	}
	return 0
}

// failT is what RunSpecs reports a failure to.
type failT struct{ failed bool }

func (t *failT) Fail() { t.failed = true }

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// version is the module version this binary was built from, with the VCS
// revision when the build recorded one.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += " (modified)"
		}
	}
	return strings.TrimSpace(v)
}
