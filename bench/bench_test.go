package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/bench"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
	"github.com/kvmconform/kvmconform/kvm"
)

func TestSummarizeNearestRank(t *testing.T) {
	s := []int64{50, 10, 40, 20, 30, 60, 70, 80, 90, 100}
	r := bench.Summarize("x", "go", s, 1)
	want := bench.Result{Name: "x", Impl: "go", N: 10, Lost: 1, Min: 10, P50: 50, P99: 100, Max: 100, Mean: 55}
	if r != want {
		t.Errorf("Summarize = %+v, want %+v", r, want)
	}
	if r := bench.Summarize("x", "go", nil, 0); r.Err == "" {
		t.Error("no samples must be an error")
	}
}

// TestCReferenceAgrees builds the C reference and checks that it draws the
// same kick delays and summarises samples exactly as the Go code does, in
// the JSON the Go code parses.
func TestCReferenceAgrees(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	ctx := context.Background()
	bin, _, err := bench.BuildC(ctx, "gcc", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, bin, "-selftest").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := bytes.Cut(out, []byte("\n"))
	var delays struct {
		US []int64 `json:"delays_us"`
	}
	if err := json.Unmarshal(first, &delays); err != nil {
		t.Fatalf("%q: %v", first, err)
	}
	d := bench.NewDelays(460)
	for i, us := range delays.US {
		if got := d.Next(); got != time.Duration(us)*time.Microsecond {
			t.Errorf("delay %d: Go %v, C %dµs", i, got, us)
		}
	}
	res, err := bench.ParseResults(rest)
	if err != nil || len(res) != 1 {
		t.Fatalf("ParseResults = %v, %v", res, err)
	}
	samples := make([]int64, 200)
	for i := range samples {
		samples[i] = int64((i*7919)%200)*10 + 3
	}
	want := bench.Summarize("selftest", "c", samples, 2)
	if res[0] != want {
		t.Errorf("C summary %+v, Go summary %+v", res[0], want)
	}
}

func TestWriteTable(t *testing.T) {
	rep := bench.Report{Host: hostinfo.Info{Kernel: "6.1.0", Machine: "x86_64", Modules: []string{"kvm", "kvm_amd"}, Device: "/dev/kvm"},
		Arch: "x86", GoVersion: "go1.26", CCompiler: "gcc -O2", Config: bench.Config{N: 10, Kicks: 5}}
	for _, impl := range bench.Implementations() {
		rep.Results = append(rep.Results, bench.Result{Name: bench.IOExit, Impl: impl, N: 10, P50: 2000, Mean: 2000})
	}
	rep.Results[2].P50, rep.Results[2].Mean = 5000, 6000
	rep.Results = append(rep.Results, bench.Result{Name: bench.ImmediateExit, Impl: bench.ImplGo, Err: "KVM_RUN 0: errno EPERM"})
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
		if got := bench.FormatNS(ns); got != want {
			t.Errorf("FormatNS(%v) = %q, want %q", ns, got, want)
		}
	}
}

// The Go loops as testing benchmarks: go test -bench . ./bench. Each
// reports the median, p99 and max per KVM_RUN or kick besides ns/op.
func BenchmarkIOExit(b *testing.B)            { run(b, bench.IOExit) }
func BenchmarkImmediateExit(b *testing.B)     { run(b, bench.ImmediateExit) }
func BenchmarkKickImmediateExit(b *testing.B) { run(b, bench.KickImmediateExit) }
func BenchmarkKickSignalMask(b *testing.B)    { run(b, bench.KickSignalMask) }

func run(b *testing.B, name string) {
	a := host.Arch()
	if a == nil {
		b.Skip("architecture: no kvmconform support for this GOARCH")
	}
	sys, reason := kvm.Probe(kvm.DevicePath())
	if sys == nil {
		b.Skip("KVM unavailable: " + reason)
	}
	defer sys.Close()
	for _, impl := range []string{bench.ImplGo, bench.ImplHarness} {
		b.Run(impl, func(b *testing.B) {
			cfg := bench.Config{N: b.N, Kicks: b.N, Warmup: 10}
			b.ResetTimer()
			r := bench.RunOne(sys, a, cfg, name, impl)
			b.StopTimer()
			if r.Err != "" {
				b.Fatal(r.Err)
			}
			b.ReportMetric(float64(r.P50), "p50-ns")
			b.ReportMetric(float64(r.P99), "p99-ns")
			b.ReportMetric(float64(r.Max), "max-ns")
			b.ReportMetric(float64(r.Lost), "lost")
		})
	}
}
