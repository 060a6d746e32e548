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

func TestRoundSharesTheSizes(t *testing.T) {
	c := report.Config{N: 10, Kicks: 7, Warmup: 4, Seed: 9, Rounds: 3}
	var n, kicks int
	for i := 0; i < 3; i++ {
		r := c.Round(i)
		if r.Rounds != 1 || r.Warmup != 4 || r.Seed != 9 {
			t.Errorf("round %d: %+v", i, r)
		}
		n, kicks = n+r.N, kicks+r.Kicks
	}
	if n != 10 || kicks != 7 {
		t.Errorf("rounds hold %d KVM_RUNs and %d kicks, want 10 and 7", n, kicks)
	}
	if r := (report.Config{N: 5, Kicks: 5, Seed: 1}).Round(0); r.N != 5 || r.Kicks != 5 {
		t.Errorf("one round: %+v", r)
	}
	if err := (report.Config{N: 5, Kicks: 2, Seed: 1, Rounds: 3}).Check(); err == nil {
		t.Error("3 rounds of 2 kicks accepted")
	}
}

func TestCombineTakesTheMedianRound(t *testing.T) {
	rounds := []report.Result{
		{Name: "x", Impl: "c", N: 2, Lost: 1, Min: 5, P50: 10, P99: 100, Max: 200, Mean: 20},
		{Name: "x", Impl: "c", N: 2, Min: 1, P50: 900, P99: 9000, Max: 9999, Mean: 1000}, // a slow period
		{Name: "x", Impl: "c", N: 4, Min: 4, P50: 12, P99: 90, Max: 150, Mean: 11},
	}
	got := report.Combine(rounds)
	want := report.Result{Name: "x", Impl: "c", N: 8, Lost: 1, Min: 1, P50: 12, P99: 100, Max: 9999, Mean: (40 + 2000 + 44) / 8.0}
	if got != want {
		t.Errorf("Combine = %+v, want %+v", got, want)
	}
	if one := report.Combine(rounds[:1]); one != rounds[0] {
		t.Errorf("one round: %+v", one)
	}
	rounds[1].Err = "KVM_RUN 3: errno EFAULT"
	if got := report.Combine(rounds); got.Err != "round 2 of 3: KVM_RUN 3: errno EFAULT" {
		t.Errorf("a failed round: %+v", got)
	}
}

func TestPairedRatioCancelsASlowPeriod(t *testing.T) {
	res := func(impl string, round int, p50 int64) report.Result {
		return report.Result{Name: "x", Impl: impl, Round: round, N: 1, P50: p50}
	}
	// Round 2 is a slow period for both; go is 1.2 times C in each round.
	rounds := []report.Result{res("c", 1, 100), res("c", 2, 300), res("c", 3, 100),
		res("go", 1, 120), res("go", 2, 360), res("go", 3, 120)}
	p50 := func(r report.Result) int64 { return r.P50 }
	c, g := report.Combine(rounds[:3]), report.Combine(rounds[3:])
	if v, ok := report.PairedRatio(rounds, g, c, p50); !ok || v < 1.199 || v > 1.201 {
		t.Errorf("paired ratio %v, %v; want 1.2", v, ok)
	}
	// The combined medians would say the same here, but not when the slow
	// period hits the implementations in different rounds' halves:
	rounds[4].P50 = 130 // go's round 2 was fast
	if v, _ := report.PairedRatio(rounds, g, c, p50); v < 1.199 || v > 1.201 {
		t.Errorf("paired ratio %v, want the median 1.2", v)
	}
	if v, ok := report.PairedRatio(nil, res("go", 0, 150), res("c", 0, 100), p50); !ok || v != 1.5 {
		t.Errorf("without rounds: %v, %v", v, ok)
	}
	if _, ok := report.PairedRatio(nil, res("go", 0, 150), res("c", 0, 0), p50); ok {
		t.Error("a zero C value gave a ratio")
	}
}
