package kvm

import (
	"runtime"
	"sync"
)

// procReservation gives the Go scheduler one P (GOMAXPROCS) more for every
// live vCPU thread, so that a vCPU thread coming back from KVM_RUN finds a
// P and does not sleep.
//
// A vCPU thread spends most of its life in KVM_RUN, a system call that
// holds its P in the syscall state. The runtime's sysmon takes such a P
// away after 20 µs whenever no other P is idle (runtime.retake; with
// GOMAXPROCS = NumCPU a kicker or a second vCPU is enough), and hands it
// to a new spinning thread; when KVM_RUN returns before that thread gives
// it back, the vCPU thread, locked to its goroutine, finds no P and sleeps
// on a futex until one is handed to it (exitsyscall, stoplockedm). That is
// a wake-up in the middle of every measured exit it hits, and sysmon,
// retaking on every tick, never slows its 20 µs polling down. Measured
// natively on kvm_pvm (2 CPUs; kvmbench, 2,200 raw kicks; the vCPU
// thread's voluntary context switches): 91-145 sleeps with GOMAXPROCS 2,
// 0-4 with one P more per vCPU thread; over 11 interleaved runs the raw
// kick's p99 went from 1.47 and 1.64 times C's (median) to 1.22 and 1.26.
// With an idle P always there, sysmon leaves a system call shorter than
// 10 ms alone, and a longer one's thread takes an idle P when it returns.
// The cost: a goroutine made runnable starts at once on a P of its own,
// so on a host with few CPUs a spinning waiter, a kicker and a vCPU can
// share a CPU (the harness's kick p99 went from 2.2-3.0 to 4.2-4.6 times
// C's; its p50 did not move).
//
// GOMAXPROCS is process-wide, and so is this count (procs), guarded by its
// mutex. The first reservation remembers the GOMAXPROCS it found (the
// user's setting, or the runtime's default) and the last release restores
// it.
type procReservation struct {
	mu   sync.Mutex
	base int // GOMAXPROCS before the first reservation
	n    int // live reservations
}

// maxExtraProcs caps the Ps added: each idle P is cheap, but the garbage
// collector's dedicated workers are a quarter of GOMAXPROCS, and a spec
// with hundreds of vCPUs must not turn every collection into a storm.
const maxExtraProcs = 64

var procs procReservation

// acquire adds one P for a new vCPU thread.
func (r *procReservation) acquire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		r.base = runtime.GOMAXPROCS(0)
	}
	r.n++
	if r.n <= maxExtraProcs {
		runtime.GOMAXPROCS(r.base + r.n)
	}
}

// release gives back the P of a vCPU thread that exited.
func (r *procReservation) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return
	}
	r.n--
	if r.n < maxExtraProcs {
		runtime.GOMAXPROCS(r.base + r.n)
	}
}
