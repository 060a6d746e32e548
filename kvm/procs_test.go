package kvm

import (
	"runtime"
	"testing"
	"time"
)

// quiesce waits until the only vCPU threads left are the abandoned ones
// (which never exit): the threads of earlier tests' vCPUs exit after
// their Close returned, and each exit changes GOMAXPROCS.
func quiesce(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		procs.mu.Lock()
		n := procs.n
		procs.mu.Unlock()
		stuck := len(Abandoned())
		if n == stuck {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d vCPU threads still live 10 s on (%d abandoned)", n, stuck)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestProcReservation: every live vCPU thread adds one P, and GOMAXPROCS
// is back where it was once the last one has exited.
func TestProcReservation(t *testing.T) {
	quiesce(t)
	base := runtime.GOMAXPROCS(0)
	var r procReservation
	r.acquire()
	r.acquire()
	if got := runtime.GOMAXPROCS(0); got != base+2 {
		t.Fatalf("GOMAXPROCS with two reservations = %d, want %d", got, base+2)
	}
	r.release()
	if got := runtime.GOMAXPROCS(0); got != base+1 {
		t.Fatalf("GOMAXPROCS after one release = %d, want %d", got, base+1)
	}
	r.release()
	r.release() // one too many: ignored
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS after the last release = %d, want %d", got, base)
	}
}

// TestProcReservationCap: past maxExtraProcs, more threads add no P, and
// releasing them gives none back until the count is under the cap again.
func TestProcReservationCap(t *testing.T) {
	quiesce(t)
	base := runtime.GOMAXPROCS(0)
	var r procReservation
	for range maxExtraProcs + 3 {
		r.acquire()
	}
	if got := runtime.GOMAXPROCS(0); got != base+maxExtraProcs {
		t.Fatalf("GOMAXPROCS with %d reservations = %d, want the cap %d", maxExtraProcs+3, got, base+maxExtraProcs)
	}
	for range 3 {
		r.release()
	}
	if got := runtime.GOMAXPROCS(0); got != base+maxExtraProcs {
		t.Fatalf("GOMAXPROCS back at the cap = %d, want %d", got, base+maxExtraProcs)
	}
	for range maxExtraProcs {
		r.release()
	}
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS after the last release = %d, want %d", got, base)
	}
}

// TestThreadHoldsAP: a vCPU thread holds its P from its start until it
// has exited.
func TestThreadHoldsAP(t *testing.T) {
	quiesce(t)
	base := runtime.GOMAXPROCS(0)
	th := startThread(0)
	if got := runtime.GOMAXPROCS(0); got != base+1 {
		t.Fatalf("GOMAXPROCS with a vCPU thread = %d, want %d", got, base+1)
	}
	th.stop()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.GOMAXPROCS(0) != base {
		if time.Now().After(deadline) {
			t.Fatalf("GOMAXPROCS = %d 10 s after the thread was stopped, want %d", runtime.GOMAXPROCS(0), base)
		}
		time.Sleep(time.Millisecond)
	}
}
