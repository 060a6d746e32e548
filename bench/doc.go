// Package bench measures what a KVM_RUN costs through kvmconform's Go code,
// next to a C reference program doing the same loops on the same guests in
// the same run, so the harness's cost is a ratio to plain C rather than a
// number that depends on the machine.
//
// Four measurements, each in three implementations:
//
//	io-exit              a KVM_RUN round trip ending in one exit to userspace
//	                     (the exit-loop guest: a PIO OUT on x86, an MMIO
//	                     store elsewhere)
//	immediate-exit       a KVM_RUN with immediate_exit = 1: EINTR, no entry
//	kick-immediate-exit  kick latency, spinning guest: store immediate_exit,
//	                     then tgkill the vCPU thread (460df4c1fc7c)
//	kick-signal-mask     kick latency, the classic pattern: the signal is
//	                     blocked in the thread and unblocked inside KVM_RUN
//	                     by KVM_SET_SIGNAL_MASK
//
//	c           bench/cref/csrc/kvmbench.c (package cref), gcc -O2 -static
//	go          the same loop on the vCPU's locked thread (kvm.VCPU.Do),
//	            one ioctl per KVM_RUN: the cost of Go itself
//	go-harness  what a spec does: kvm.VCPU.RunFor (a bounded run handed to
//	            the vCPU thread, with a watchdog timer) and kvm.VCPU.Kick
//	            from another goroutine
//
// A kick's latency runs from the kicker's clock reading just before the kick
// to the vCPU side's reading just after KVM_RUN returned. In the go and c
// loops the kicker sleeps in 20 µs steps until the vCPU thread says it is
// entering KVM_RUN (so that it does not hold a CPU the vCPU needs), then
// busy-waits a pseudo-random 0-99 µs (the same xorshift sequence in Go and
// C); the harness kicker starts its delay when RunFor is called. Every
// measurement reports n, p50, p99, max, min and mean; kicks not answered in
// 100 ms are counted as lost and repeated, so nothing hangs.
//
// On a shared machine each measurement runs in interleaved rounds
// (report.Config.Rounds: C, go and go-harness take turns), combined as the
// median round, and the ratios to C are paired by round
// (report.PairedRatio). Every implementation's vCPU thread is pinned to the
// same CPU (report.Config.CPU, PinThread), its kickers to the others.
//
// The numbers are reported, never asserted: the machine may be shared and
// noisy. scripts/bench (go run ./cmd/kvmbench natively, go run ./ci bench
// under QEMU) prints the table; `go test -bench . ./bench` runs the Go loops
// as testing benchmarks. Results and the table are in package report, the
// C program in package cref.
package bench
