package kvm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// thread is one OS thread, locked for its whole life, that runs the closures
// it is given. A vCPU's ioctls all go through its thread: KVM keys KVM_RUN on
// the calling thread (the pid change hook, arm64's first-run checks), kicks
// are tgkill'ed to it, and the signal mask under test is that thread's.
//
// Handing a closure over and getting its completion back are the cost of
// every bounded KVM_RUN, so both sides spin briefly on atomics before they
// sleep: waking a sleeping OS thread costs a futex wake-up (an IPI when the
// host is itself a VM), which is several times the KVM_RUN round trip the
// suites measure. A closure submitted while the thread still spins, and a
// completion that arrives while its waiter still spins, cost no system
// call. With spin 0 both sides sleep at once (one CPU, or an emulated CPU,
// where spinning only steals time from the vCPU).
type thread struct {
	pid  int // the process, for tgkill (looked up once: kicks are a hot path)
	tid  int
	spin time.Duration

	submit sync.Mutex           // held from submission until the thread takes the task
	slot   atomic.Pointer[task] // the task submitted, not yet taken

	// park guards parked: whether the thread sleeps (or is about to) on
	// wake. Deciding to sleep, and deciding to wake, under one mutex makes
	// a lost wake-up impossible by the Go memory model alone, on every
	// architecture and under emulators: a store-then-load handshake on
	// atomics is not (ppc64 lets a store pass a later LWSYNC'd
	// read-modify-write; QEMU's TCG does not order arm64's STLR before a
	// later LDAR on an x86 host).
	park   sync.Mutex
	parked bool
	wake   chan struct{} // buffered 1: the token that wakes the parked thread

	// beforeWake, when set (by tests only), runs in put between storing
	// the task and looking for a parked thread, and in finish between
	// marking the task done and looking for a parked waiter: it widens the
	// windows in which the other side finishes, and parks again, first.
	beforeWake func()
}

// task is one closure handed to the thread and its completion.
type task struct {
	f      func() // nil: the thread exits
	done   atomic.Bool
	park   sync.Mutex    // guards parked (as thread.park does)
	parked bool          // the waiter sleeps on wake
	wake   chan struct{} // buffered 1
}

// spinYieldEvery is how many looks at its task's completion a spinning
// waiter takes between yields of its P (and reads of the clock).
const spinYieldEvery = 64

// handoffSpin is how long each side of a hand-off spins before it sleeps,
// on a machine where spinning can pay off (more than one CPU for Go).
func handoffSpin() time.Duration {
	if runtime.NumCPU() > 1 && runtime.GOMAXPROCS(0) > 1 {
		return 200 * time.Microsecond
	}
	return 0
}

func startThread(spin time.Duration) *thread {
	t := &thread{pid: unix.Getpid(), spin: spin, wake: make(chan struct{}, 1)}
	ready := make(chan int)
	procs.acquire()
	go func() {
		defer procs.release()
		// Never unlocked: the thread may carry a changed signal mask, so it
		// exits with the goroutine instead of returning to the pool.
		runtime.LockOSThread()
		ready <- unix.Gettid()
		for {
			tk := t.next()
			if tk.f == nil {
				return
			}
			tk.f()
			tk.finish(t.beforeWake)
		}
	}()
	t.tid = <-ready
	return t
}

// next takes the next task: spinning for up to t.spin, then asleep.
func (t *thread) next() *task {
	for end := time.Now().Add(t.spin); ; {
		if tk := t.take(); tk != nil {
			return tk
		}
		if !time.Now().Before(end) {
			break
		}
	}
	for {
		t.park.Lock()
		if t.slot.Load() == nil {
			t.parked = true
			t.park.Unlock()
			<-t.wake // a put cleared parked and sent the token
		} else {
			t.park.Unlock()
		}
		if tk := t.take(); tk != nil {
			return tk
		}
		// Woken with nothing to take: the put of the task this thread
		// took while spinning (and has run since) reached its wake-up
		// only after the thread had parked again for the next one.
	}
}

// take takes the submitted task, if there is one, and lets the next put in.
func (t *thread) take() *task {
	tk := t.slot.Swap(nil)
	if tk != nil {
		t.submit.Unlock()
	}
	return tk
}

// put submits a task; it waits only while another task is submitted but
// not yet taken.
func (t *thread) put(tk *task) {
	t.submit.Lock()
	t.slot.Store(tk)
	if t.beforeWake != nil {
		t.beforeWake()
	}
	t.park.Lock()
	if t.parked {
		t.parked = false
		t.wake <- struct{}{}
	}
	t.park.Unlock()
}

func (tk *task) finish(beforeWake func()) {
	tk.done.Store(true)
	if beforeWake != nil {
		beforeWake()
	}
	tk.park.Lock()
	if tk.parked {
		tk.parked = false
		tk.wake <- struct{}{}
	}
	tk.park.Unlock()
}

// wait waits up to d for the task, spinning for up to spin of it first;
// it reports whether the task finished. It may be called again after a
// false.
func (tk *task) wait(d, spin time.Duration) bool {
	start := time.Now()
	if spin > 0 {
		end := start.Add(min(spin, d))
		for i := 1; ; i++ {
			if tk.done.Load() {
				return true
			}
			// Spin politely: the goroutine that will end the task (a
			// kicker) may need this P. Yielding on every look would
			// cost a trip through the scheduler between the task's
			// end and this waiter seeing it.
			if i%spinYieldEvery == 0 {
				if !time.Now().Before(end) {
					break
				}
				runtime.Gosched()
			}
		}
	}
	left := d - time.Since(start)
	if left <= 0 {
		return tk.done.Load()
	}
	timer := time.NewTimer(left)
	defer timer.Stop()
	for {
		tk.park.Lock()
		if tk.done.Load() {
			tk.park.Unlock()
			return true
		}
		tk.parked = true
		tk.park.Unlock()
		select {
		case <-tk.wake:
			if tk.done.Load() {
				return true
			}
			// A restarted task: the finish of its previous run (which
			// this waiter saw done while spinning) reached its wake-up
			// only after this wait had parked. Sleep again.
		case <-timer.C:
			tk.park.Lock()
			if tk.parked {
				tk.parked = false // no token will come for this wait
			} else {
				<-tk.wake // a finish sent it just now: take it, none may linger
			}
			tk.park.Unlock()
			return tk.done.Load()
		}
	}
}

// do runs f on the thread and waits for it.
func (t *thread) do(f func()) {
	tk := t.start(f)
	for !tk.wait(time.Hour, t.spin) {
	}
}

// start runs f on the thread and returns at once; the task's wait says
// when f has returned.
func (t *thread) start(f func()) *task {
	tk := &task{f: f, wake: make(chan struct{}, 1)}
	t.put(tk)
	return tk
}

// restart submits tk again, which must have finished (its last wait
// returned true, which leaves no wake-up token behind): the hot path
// reuses one task instead of allocating.
func (t *thread) restart(tk *task) {
	tk.done.Store(false)
	t.put(tk)
}

// stop makes the thread exit once it has run what was submitted before.
func (t *thread) stop() {
	t.put(&task{wake: make(chan struct{}, 1)})
}
