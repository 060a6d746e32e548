package report_test

import (
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/bench/report"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
)

func TestSummarizeNearestRank(t *testing.T) {
	s := []int64{50, 10, 40, 20, 30, 60, 70, 80, 90, 100}
	r := report.Summarize("x", "go", s, 1)
	want := report.Result{Name: "x", Impl: "go", N: 10, Lost: 1, Min: 10, P50: 50, P99: 100, Max: 100, Mean: 55}
	if r != want {
		t.Errorf("Summarize = %+v, want %+v", r, want)
	}
	if r := report.Summarize("x", "go", nil, 0); r.Err == "" {
		t.Error("no samples must be an error")
	}
}

func TestWriteTable(t *testing.T) {
	rep := report.Report{Host: hostinfo.Info{Kernel: "6.1.0", Machine: "x86_64", Modules: []string{"kvm", "kvm_amd"}, Device: "/dev/kvm"},
		Arch: "x86", GoVersion: "go1.26", CCompiler: "gcc -O2", Config: report.Config{N: 10, Kicks: 5}}
	for _, impl := range report.Implementations() {
		rep.Results = append(rep.Results, report.Result{Name: report.IOExit, Impl: impl, N: 10, P50: 2000, Mean: 2000})
	}
	rep.Results[2].P50, rep.Results[2].Mean = 5000, 6000
	rep.Results = append(rep.Results, report.Result{Name: report.ImmediateExit, Impl: report.ImplGo, Err: "KVM_RUN 0: errno EPERM"})
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"kernel 6.1.0 (x86_64), KVM modules: kvm,kvm_amd", "gcc -O2", "2.50", "3.00", "1.00", "error: KVM_RUN 0: errno EPERM"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestFormatNS(t *testing.T) {
	for ns, want := range map[float64]string{850: "850ns", 12345: "12.3µs", 4.5e6: "4.5ms", 2e9: "2s"} {
		if got := report.FormatNS(ns); got != want {
			t.Errorf("FormatNS(%v) = %q, want %q", ns, got, want)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	ok := report.Config{N: 1, Kicks: 1, Seed: 1}
	if err := ok.Check(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	for _, c := range []report.Config{{N: 0, Kicks: 1, Seed: 1}, {N: 1, Kicks: 0, Seed: 1}, {N: 1, Kicks: 1, Warmup: -1, Seed: 1}, {N: 1, Kicks: 1}} {
		if c.Check() == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
}
