// Package reports reads the results of kvmconform runs and renders them for
// the people and labs that consume them.
//
// A Run is one machine's results: the Ginkgo JSON reports of every
// conformance area (one suite report per area), with the host they came
// from, judged by the expectations (package expectations). Runs come from a
// `kvmconform run` output directory (report.json, metadata.json), from a
// ginkgo CLI output directory (report.json), or from a QEMU row of
// `go run ./ci run` (out/qemu/<arch>-<kernel>/: <area>.json per area and
// metadata.json).
//
// From one or several runs the package writes JUnit XML (WriteJUnit), KTAP
// (WriteKTAP), a self-contained HTML page (WriteHTML: a column per run, a
// row per spec), a Markdown summary (WriteMarkdown) and the text summary
// (WriteSummary); Compare lists what changed between two runs.
package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
)

// File names in a run directory.
const (
	// ReportFile is the merged Ginkgo JSON report of a native run (one
	// suite report per area), as `kvmconform run` and the ginkgo CLI
	// (--json-report=report.json) write it.
	ReportFile = "report.json"
	// MetadataFile describes the run: RunMeta for `kvmconform run`,
	// RowMeta for a QEMU row.
	MetadataFile = "metadata.json"
)

// RunMeta is the metadata.json `kvmconform run` writes beside its reports.
type RunMeta struct {
	// Kind is "native" for `kvmconform run`.
	Kind string `json:"kind"`
	// Areas are the areas that had to report.
	Areas       []string      `json:"areas"`
	LabelFilter string        `json:"labelFilter,omitempty"`
	Focus       []string      `json:"focus,omitempty"`
	Skip        []string      `json:"skip,omitempty"`
	Expect      []string      `json:"expect,omitempty"`
	Host        hostinfo.Info `json:"host"`
	Started     time.Time     `json:"started"`
	WallSeconds float64       `json:"wallSeconds"`
	Interrupted bool          `json:"interrupted,omitempty"`
	// Problems are the areas' failures to report, by area.
	Problems map[string]string `json:"problems,omitempty"`
	Version  string            `json:"version,omitempty"`
	// AreaRuns are the areas that ran, in order, each in its process.
	AreaRuns []AreaRun `json:"areaRuns,omitempty"`
}

// AreaRun is one area's process in a `kvmconform run`.
type AreaRun struct {
	Name string `json:"name"`
	// Seconds is how long the area's process ran.
	Seconds float64 `json:"seconds"`
	// OK is the area's part of the verdict: every failure of its specs is
	// expected and it reported completely (what the exit status of
	// `kvmconform run --area NAME` would have said).
	OK bool `json:"ok"`
}

// RowMeta is what this package reads of a QEMU row's metadata.json
// (ci/internal/runner Metadata).
type RowMeta struct {
	Arch           string   `json:"arch"`
	Kernel         string   `json:"kernel"`
	KernelPackage  string   `json:"kernelPackage,omitempty"`
	PackageVersion string   `json:"kernelPackageVersion,omitempty"`
	KernelRelease  string   `json:"kernelRelease,omitempty"`
	KVMModules     []string `json:"kvmModules"`
	KVMBuiltin     []string `json:"kvmBuiltin,omitempty"`
	QEMU           string   `json:"qemu,omitempty"`
	WallSeconds    float64  `json:"wallSeconds"`
	Error          string   `json:"error,omitempty"`
	Suites         []struct {
		Name   string `json:"name"`
		Report bool   `json:"report"`
	} `json:"suites"`
}

// A Run is one machine's results.
type Run struct {
	// Label names the run in tables and columns: "amd64 debian:trixie"
	// for a QEMU row, "amd64 6.1.0-40-amd64" for a native run.
	Label string
	// Dir is where the run was read from ("" when built in memory).
	Dir string
	// Host is the machine the suites ran on, as they recorded it (with
	// the row's GOARCH for a QEMU row); HostNote says where it came from.
	Host     hostinfo.Info
	HostNote string
	// Native is the metadata of a `kvmconform run` directory; Row that of
	// a QEMU row (either may be nil).
	Native *RunMeta
	Row    *RowMeta
	// Reports are the areas' Ginkgo reports, SuitePath naming the area.
	Reports []types.Report
	// Areas must each have reported.
	Areas []string
	// Problem says why there is no report at all ("" if there is one).
	Problem string
	// Result is the expectations' judgement (Judge).
	Result *expectations.Result
}

// Kernel is the kernel as the run names it: the runner's kernel spec and
// release for a QEMU row ("debian:trixie (6.12.57+deb13-amd64)"), else the
// release.
func (r *Run) Kernel() string {
	if r.Row != nil && r.Row.Kernel != "" {
		if rel := r.release(); rel != "" {
			return r.Row.Kernel + " (" + rel + ")"
		}
		return r.Row.Kernel
	}
	return r.Host.Kernel
}

func (r *Run) release() string {
	if r.Host.Kernel != "" {
		return r.Host.Kernel
	}
	if r.Row != nil {
		return r.Row.KernelRelease
	}
	return ""
}

// NewRun makes a run from reports in memory (`kvmconform run` before it
// writes them); areas must each have reported, problem says why there is
// no report at all.
func NewRun(label string, reports []types.Report, areas []string, problem string) *Run {
	r := &Run{Label: label, Reports: reports, Areas: areas, Problem: problem}
	r.fillHost()
	if r.Label == "" {
		r.Label = r.defaultLabel()
	}
	return r
}

// Load reads the run in dir: a `kvmconform run` or ginkgo CLI directory
// (report.json) or a QEMU row (metadata.json naming the suites, one
// <suite>.json each). defaultAreas are the areas that must have reported
// when the directory does not say (a ginkgo CLI directory). A directory
// that holds neither is an error; a run whose reports are missing or
// damaged is a Run with a Problem (it failed, it is still a column).
func Load(dir string, defaultAreas []string) (*Run, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	r := &Run{Dir: dir}
	meta, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	_, rerr := os.Stat(filepath.Join(dir, ReportFile))
	hasReport := rerr == nil
	switch {
	case meta != nil && !hasReport && isRow(meta):
		var m RowMeta
		if err := json.Unmarshal(meta, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, MetadataFile), err)
		}
		r.Row = &m
		r.loadRow()
	case meta != nil || hasReport:
		if meta != nil {
			var m RunMeta
			if err := json.Unmarshal(meta, &m); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(dir, MetadataFile), err)
			}
			if m.Kind != "native" {
				return nil, fmt.Errorf("%s: neither a kvmconform run nor a QEMU row", filepath.Join(dir, MetadataFile))
			}
			r.Native = &m
			r.Areas = m.Areas
		} else {
			r.Areas = defaultAreas
		}
		r.Reports, r.Problem = readReports(filepath.Join(dir, ReportFile))
	default:
		return nil, fmt.Errorf("%s: no %s or %s (want a kvmconform run, ginkgo or QEMU row directory)", dir, ReportFile, MetadataFile)
	}
	for i := range r.Reports {
		r.Reports[i].SuitePath = AreaOf(r.Reports[i].SuitePath, r.Reports[i].SuiteDescription)
	}
	r.fillHost()
	r.Label = r.defaultLabel()
	return r, nil
}

// isRow says whether a metadata.json is a QEMU row's (it names the arch
// and kernel the runner booted).
func isRow(meta []byte) bool {
	var probe struct {
		Kind   string          `json:"kind"`
		Arch   string          `json:"arch"`
		Suites json.RawMessage `json:"suites"`
	}
	return json.Unmarshal(meta, &probe) == nil && probe.Kind == "" && probe.Arch != ""
}

func (r *Run) loadRow() {
	for _, s := range r.Row.Suites {
		r.Areas = append(r.Areas, s.Name)
		data, err := os.ReadFile(filepath.Join(r.Dir, s.Name+".json"))
		if err != nil {
			continue // Apply says the suite is absent
		}
		var reports []types.Report
		if err := json.Unmarshal(data, &reports); err != nil {
			continue
		}
		for i := range reports {
			reports[i].SuitePath = s.Name
		}
		r.Reports = append(r.Reports, reports...)
	}
	if len(r.Row.Suites) == 0 {
		r.Problem = "the row ran no suite"
		if r.Row.Error != "" {
			r.Problem += ": " + r.Row.Error
		}
	}
}

func readReports(file string) ([]types.Report, string) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Sprintf("no report: %s does not exist (the run crashed or was killed before writing it?)", file)
	}
	if err != nil {
		return nil, "no report: " + err.Error()
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Sprintf("no report: %s is not a Ginkgo JSON report (truncated?): %s", file, oneLine(err.Error()))
	}
	return reports, ""
}

func (r *Run) fillHost() {
	info, ok, err := expectations.InfoOf(r.Reports)
	switch {
	case err != nil:
		r.HostNote = err.Error()
	case ok:
		r.Host, r.HostNote = info, "from the reports"
	case r.Native != nil && r.Native.Host.Kernel != "":
		r.Host, r.HostNote = r.Native.Host, "from metadata.json"
	case r.Row != nil:
		r.Host = hostinfo.Info{Kernel: r.Row.KernelRelease}
		for _, m := range r.Row.KVMModules {
			// /proc/modules lines: "kvm_amd 155648 0 - Live 0x0".
			if f := strings.Fields(m); len(f) > 0 && strings.HasPrefix(f[0], "kvm") {
				r.Host.Modules = append(r.Host.Modules, f[0])
			}
		}
		for _, m := range r.Row.KVMBuiltin {
			r.Host.Modules = append(r.Host.Modules, strings.ReplaceAll(m, "-", "_"))
		}
		r.HostNote = "from the row's metadata.json"
	default:
		r.HostNote = "no \"host\" entry in the reports"
	}
	if r.Row != nil && r.Row.Arch != "" {
		// The guest's uname -m cannot tell mips64 from mips64le.
		r.Host.GOARCH = r.Row.Arch
	}
	if r.Host.GOARCH == "" {
		r.Host.GOARCH = hostinfo.GOARCHFor(r.Host.Machine)
	}
}

func (r *Run) defaultLabel() string {
	if r.Row != nil {
		return strings.TrimSpace(r.Row.Arch + " " + r.Row.Kernel)
	}
	l := strings.TrimSpace(r.Host.GOARCH + " " + r.Host.Kernel)
	if l == "" && r.Dir != "" {
		l = filepath.Base(r.Dir)
	}
	return l
}

// Judge applies the expectations to the run (the shipped list and the
// user's, expectations.Load) and keeps the result in r.Result.
func (r *Run) Judge(list []expectations.Expectation) *expectations.Result {
	host := expectations.FromInfo(r.Host)
	r.Result = expectations.Apply(r.Reports, list, expectations.Options{Host: &host, Suites: r.Areas, NoReport: r.Problem})
	if r.HostNote != "" {
		r.Result.HostNote = r.HostNote
	}
	return r.Result
}

// UniqueLabels makes the runs' labels distinct, adding the directory name
// to those that are shared.
func UniqueLabels(runs []*Run) {
	count := map[string]int{}
	for _, r := range runs {
		count[r.Label]++
	}
	for _, r := range runs {
		if count[r.Label] > 1 && r.Dir != "" {
			r.Label += " (" + filepath.Base(filepath.Clean(r.Dir)) + ")"
		}
	}
}

// AreaOf is the area a suite report belongs to: the last element of its
// SuitePath ("/m/suites/abi", "suites/abi" and "abi" are all "abi"), or the
// description when there is no path.
func AreaOf(suitePath, description string) string {
	if suitePath == "" {
		return description
	}
	return path.Base(path.Clean(filepath.ToSlash(suitePath)))
}

// areaName turns an expectations.Spec.Suite ("suites/abi", "abi") into the
// area.
func areaName(suite string) string {
	return path.Base(path.Clean(suite))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// firstLine is the first non-empty line of s.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// sortedAreas orders areas: those in order first, in that order, then the
// others in the order met.
func sortedAreas(seen []string, order []string) []string {
	var out []string
	for _, a := range order {
		if slices.Contains(seen, a) {
			out = append(out, a)
		}
	}
	for _, a := range seen {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
