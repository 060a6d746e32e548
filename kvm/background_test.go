package kvm

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestTeardownWaitsForAll: wait returns only once every release has, with
// their errors joined, and forgets them.
func TestTeardownWaitsForAll(t *testing.T) {
	td := teardown{slots: make(chan struct{}, 2)}
	var done atomic.Int32
	boom := errors.New("boom")
	for i := range 5 {
		td.start(func() error {
			time.Sleep(time.Millisecond)
			done.Add(1)
			if i == 3 {
				return boom
			}
			return nil
		})
	}
	err := td.wait()
	if n := done.Load(); n != 5 {
		t.Fatalf("wait returned with %d of 5 releases done", n)
	}
	if !errors.Is(err, boom) {
		t.Fatalf("wait = %v, want the failed release's error", err)
	}
	if err := td.wait(); err != nil {
		t.Fatalf("a second wait = %v, want nil (errors are reported once)", err)
	}
}

// TestTeardownBounded: no more than its slots run at once.
func TestTeardownBounded(t *testing.T) {
	td := teardown{slots: make(chan struct{}, 2)}
	var running, most atomic.Int32
	for range 6 {
		td.start(func() error {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(2 * time.Millisecond)
			running.Add(-1)
			return nil
		})
	}
	td.wait()
	if m := most.Load(); m > 2 {
		t.Fatalf("%d releases ran at once, want at most 2", m)
	}
}
