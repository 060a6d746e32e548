package kvm

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// thread is one OS thread, locked for its whole life, that runs the closures
// it is given. A vCPU's ioctls all go through its thread: KVM keys KVM_RUN on
// the calling thread (the pid change hook, arm64's first-run checks), kicks
// are tgkill'ed to it, and the signal mask under test is that thread's.
type thread struct {
	pid  int // the process, for tgkill (looked up once: kicks are a hot path)
	tid  int
	work chan func()
	done chan struct{}
}

func startThread() *thread {
	t := &thread{pid: unix.Getpid(), work: make(chan func()), done: make(chan struct{})}
	ready := make(chan int)
	go func() {
		// Never unlocked: the thread may carry a changed signal mask, so it
		// exits with the goroutine instead of returning to the pool.
		runtime.LockOSThread()
		ready <- unix.Gettid()
		for f := range t.work {
			f()
		}
		close(t.done)
	}()
	t.tid = <-ready
	return t
}

// do runs f on the thread and waits for it.
func (t *thread) do(f func()) {
	finished := make(chan struct{})
	t.work <- func() { f(); close(finished) }
	<-finished
}

// start runs f on the thread and returns at once; the channel closes when f
// has returned.
func (t *thread) start(f func()) <-chan struct{} {
	finished := make(chan struct{})
	t.work <- func() { f(); close(finished) }
	return finished
}

func (t *thread) stop() {
	close(t.work)
}
