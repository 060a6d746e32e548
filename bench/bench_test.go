package bench_test

import (
	"testing"

	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/bench"
	"github.com/kvmconform/kvmconform/bench/report"
	"github.com/kvmconform/kvmconform/kvm"
)

// The Go loops as testing benchmarks: go test -bench . ./bench. Each
// reports the median, p99 and max per KVM_RUN or kick besides ns/op.
func BenchmarkIOExit(b *testing.B)            { run(b, report.IOExit) }
func BenchmarkImmediateExit(b *testing.B)     { run(b, report.ImmediateExit) }
func BenchmarkKickImmediateExit(b *testing.B) { run(b, report.KickImmediateExit) }
func BenchmarkKickSignalMask(b *testing.B)    { run(b, report.KickSignalMask) }

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
	for _, impl := range []string{report.ImplGo, report.ImplHarness} {
		b.Run(impl, func(b *testing.B) {
			cfg := report.Config{N: b.N, Kicks: b.N, Warmup: 10, CPU: bench.DefaultCPU()}
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
