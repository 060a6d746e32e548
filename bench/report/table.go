package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kvmconform/kvmconform/internal/hostinfo"
)

// Report is one benchmark run: where it ran, with what, and the results.
type Report struct {
	Host      hostinfo.Info `json:"host"`
	Arch      string        `json:"arch"`
	GoVersion string        `json:"goVersion"`
	// CCompiler is how the C reference was built; CError why it did not
	// run, if it did not.
	CCompiler string   `json:"cCompiler,omitempty"`
	CError    string   `json:"cError,omitempty"`
	Config    Config   `json:"config"`
	Results   []Result `json:"results"`
	// Rounds are the per-round results Results were combined from (when
	// Config.Rounds > 1), in measurement and implementation order.
	Rounds []Result `json:"rounds,omitempty"`
	// Note is free text (e.g. "under QEMU TCG with nested KVM").
	Note string `json:"note,omitempty"`
}

// Find returns the result of a measurement and implementation.
func (r Report) Find(name, impl string) (Result, bool) {
	for _, x := range r.Results {
		if x.Name == name && x.Impl == impl {
			return x, true
		}
	}
	return Result{}, false
}

// WriteTable prints the report: a header naming the kernel, the KVM
// modules and the compilers, then per measurement one line per
// implementation, the Go lines with their p50, p99 and mean as a ratio to C.
func (r Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "kvmbench (%s): %s\n", r.Arch, r.Host)
	if r.Note != "" {
		fmt.Fprintf(w, "  %s\n", r.Note)
	}
	fmt.Fprintf(w, "  Go %s; C reference ", r.GoVersion)
	if r.CError != "" {
		fmt.Fprintf(w, "not run: %s\n", r.CError)
	} else {
		fmt.Fprintf(w, "%s\n", r.CCompiler)
	}
	fmt.Fprintf(w, "  %d KVM_RUNs per round trip, %d kicks per kick latency; times per KVM_RUN or kick", r.Config.N, r.Config.Kicks)
	if r.Config.CPU >= 0 {
		fmt.Fprintf(w, ";\n  every vCPU thread on CPU %d, the kickers on the others", r.Config.CPU)
	}
	if r.Config.Rounds > 1 {
		fmt.Fprintf(w, ";\n  in %d interleaved rounds (C, go, go-harness each round): p50 and p99 are the median round's,\n  p50/C and p99/C the median of the rounds' own ratios", r.Config.Rounds)
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measurement\timpl\tn\tp50\tp99\tmax\tmean\tlost\tp50/C\tp99/C\tmean/C\t")
	for _, name := range Measurements() {
		c, hasC := r.Find(name, ImplC)
		for i, impl := range Implementations() {
			label := ""
			if i == 0 {
				label = name
			}
			x, ok := r.Find(name, impl)
			switch {
			case !ok:
				continue
			case x.Err != "":
				fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\t\t\t\t\t\t\n", label, impl, "error: "+oneLine(x.Err))
				continue
			}
			p50r, p99r, meanr := "", "", ""
			if impl != ImplC && hasC && c.Err == "" {
				p50r = r.ratio(x, c, func(r Result) int64 { return r.P50 })
				p99r = r.ratio(x, c, func(r Result) int64 { return r.P99 })
				meanr = ratio(x.Mean, c.Mean)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n", label, impl, x.N,
				FormatNS(float64(x.P50)), FormatNS(float64(x.P99)), FormatNS(float64(x.Max)), FormatNS(x.Mean),
				x.Lost, p50r, p99r, meanr)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, name := range Measurements() {
		fmt.Fprintf(w, "  %-20s %s\n", name, Describe(name))
	}
	fmt.Fprintf(w, "  %-20s %s\n", "go", "the same loop as C on the vCPU's locked thread: raw ioctl")
	fmt.Fprintf(w, "  %-20s %s\n", "go-harness", "what a spec does: kvm.VCPU.RunFor and kvm.VCPU.Kick")
	return nil
}

// ratio renders PairedRatio over the report's rounds.
func (r Report) ratio(x, c Result, metric func(Result) int64) string {
	v, ok := PairedRatio(r.Rounds, x, c, metric)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(x, c float64) string {
	if c <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", x/c)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// FormatNS renders nanoseconds with three significant digits.
func FormatNS(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0fns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.3gms", ns/1e6)
	}
	return fmt.Sprintf("%.3gs", ns/1e9)
}
