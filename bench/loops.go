package bench

import (
	"errors"
	"fmt"
	"github.com/kvmconform/kvmconform/bench/report"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/machine"
)

// KickTimeout is how long a kick may go unanswered before it is counted as
// lost and sent again (the C reference uses the same).
const KickTimeout = 100 * time.Millisecond

// pollPause is how long the kicker sleeps between looks at the vCPU
// thread's progress: it must not hold a CPU the vCPU needs (under
// single-threaded TCG it would hold the whole emulator).
const pollPause = 20 * time.Microsecond

// loopDeadline bounds a whole loop of the go implementation: the watchdog
// then kicks the vCPU until the loop notices.
const loopDeadline = 60 * time.Second

// epoch is the origin of now(); time.Since reads the monotonic clock.
var epoch = time.Now()

func now() int64 { return int64(time.Since(epoch)) }

// pause sleeps pollPause with a plain nanosleep on the calling (locked)
// thread, as the C reference does. time.Sleep would park the goroutine and
// hand its P to another thread, a futex wake-up right after the kick that
// competes with the kicked vCPU thread: natively on kvm_pvm that put the
// raw Go kick p50 at 1.6-2.2 times C's instead of about 1.0.
func pause() {
	ts := unix.NsecToTimespec(int64(pollPause))
	unix.Nanosleep(&ts, nil)
}

func spinFor(d time.Duration) {
	for end := now() + int64(d); now() < end; {
	}
}

// PinThread pins the calling OS thread (locked to its goroutine) to cpu.
func PinThread(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pinning the vCPU thread to CPU %d: %w", cpu, err)
	}
	return nil
}

// startCPUs are the CPUs the process could use when it started, read
// before any thread was pinned (a thread that a pinned one creates
// inherits its mask, so a later read could see one CPU). Never written.
var startCPUs = func() (set unix.CPUSet) {
	if unix.SchedGetaffinity(0, &set) != nil {
		set.Zero()
	}
	return set
}()

// PlaceAwayFrom lets the calling OS thread run on every CPU the process
// could use at its start but cpu (if there is another).
func PlaceAwayFrom(cpu int) error {
	set := startCPUs
	set.Clear(cpu)
	if set.Count() == 0 {
		return nil
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("placing the kicker away from CPU %d: %w", cpu, err)
	}
	return nil
}

// DefaultCPU is the CPU a benchmark pins its vCPU threads to: the highest
// one the process may use, when it may use more than one (so the kicker
// has another); -1 otherwise.
func DefaultCPU() int {
	set := startCPUs
	if set.Count() < 2 {
		return -1
	}
	for cpu := len(set)*64 - 1; cpu >= 0; cpu-- {
		if set.IsSet(cpu) {
			return cpu
		}
	}
	return -1
}

// NewMachine builds a VM for one of the architecture's guest scenarios with
// vCPU 0 initialised and at the image's entry (the caller closes the VM).
func NewMachine(sys *kvm.System, a arch.Arch, scenario string) (*kvm.VM, *kvm.VCPU, error) {
	img, err := guests.Load(a.Name(), scenario)
	if err != nil {
		return nil, nil, err
	}
	g, err := machine.New(sys, a, img, machine.Options{})
	if err != nil {
		return nil, nil, err
	}
	v, err := g.AddVCPU(0, arch.InitOptions{}, true)
	if err != nil {
		g.VM.Close()
		return nil, nil, err
	}
	return g.VM, v, nil
}

// RAMImage is a guest scenario laid out in its RAM (what the C reference
// loads), with the RAM's guest-physical base and the entry PC.
func RAMImage(archName, scenario string) (ram []byte, base, entry uint64, err error) {
	img, err := guests.Load(archName, scenario)
	if err != nil {
		return nil, 0, 0, err
	}
	lay, err := guests.Layout(archName)
	if err != nil {
		return nil, 0, 0, err
	}
	ram = make([]byte, lay.RAMSize)
	if err := img.CopyTo(ram, lay.RAMBase); err != nil {
		return nil, 0, 0, err
	}
	return ram, lay.RAMBase, img.Entry, nil
}

// exitLoopReason is the exit every KVM_RUN of the exit-loop guest ends with.
func exitLoopReason(archName string) uapi.ExitReason {
	if archName == guests.X86 {
		return uapi.KVM_EXIT_IO
	}
	return uapi.KVM_EXIT_MMIO
}

// RunOne runs one measurement in one Go implementation on a fresh VM.
func RunOne(sys *kvm.System, a arch.Arch, cfg report.Config, name, impl string) report.Result {
	cfg = cfg.WithDefaults()
	fail := func(err error) report.Result { return report.Result{Name: name, Impl: impl, Err: err.Error()} }
	scenario := "spin"
	if name == report.IOExit || name == report.ImmediateExit {
		scenario = "exit-loop"
	}
	vm, v, err := NewMachine(sys, a, scenario)
	if err != nil {
		return fail(fmt.Errorf("%s guest: %w", scenario, err))
	}
	defer vm.Close()
	if cfg.CPU >= 0 {
		v.Do(func() { err = PinThread(cfg.CPU) })
		if err != nil {
			return fail(err)
		}
	}
	harness := impl == report.ImplHarness
	var samples []int64
	lost := 0
	switch name {
	case report.IOExit:
		samples, err = roundTrips(v, harness, false, exitLoopReason(a.Name()), cfg.N, cfg.Warmup)
	case report.ImmediateExit:
		samples, err = roundTrips(v, harness, true, 0, cfg.N, cfg.Warmup)
	case report.KickImmediateExit, report.KickSignalMask:
		p := kickPattern{mask: name == report.KickSignalMask}
		if harness {
			samples, lost, err = p.harnessLoop(v, cfg)
		} else {
			samples, lost, err = p.rawLoop(v, cfg)
		}
	default:
		err = fmt.Errorf("unknown measurement %q", name)
	}
	if err != nil {
		return fail(err)
	}
	return report.Summarize(name, impl, samples, lost)
}

// rawRun is one KVM_RUN on the calling thread (which must be the vCPU's).
func rawRun(v *kvm.VCPU) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(v.Fd()), uapi.KVM_RUN, 0)
	return e
}

// roundTrips times warmup+n KVM_RUNs that each end by themselves: with an
// exit (wantExit) or, with immediate, EINTR.
func roundTrips(v *kvm.VCPU, harness, immediate bool, wantExit uapi.ExitReason, n, warmup int) ([]int64, error) {
	samples := make([]int64, n)
	check := func(i int, e unix.Errno) error {
		switch {
		case immediate && e != unix.EINTR:
			return fmt.Errorf("KVM_RUN %d with immediate_exit = 1: errno %v, want EINTR", i, e)
		case !immediate && e != 0:
			return fmt.Errorf("KVM_RUN %d: errno %v (%s)", i, e, v.Run().Describe())
		case !immediate && v.Run().ExitReason() != wantExit:
			return fmt.Errorf("KVM_RUN %d: %s, want exit %s", i, v.Run().Describe(), wantExit)
		}
		return nil
	}
	if immediate {
		v.Run().SetImmediateExit(1)
		defer v.Run().SetImmediateExit(0)
	}
	var err error
	if harness {
		for i := 0; i < warmup+n && err == nil; i++ {
			t0 := now()
			rr := v.RunFor(10 * time.Second)
			t1 := now()
			if rr.DeadlinePassed {
				return nil, fmt.Errorf("KVM_RUN %d: %s", i, rr)
			}
			err = check(i, rr.Errno)
			if i >= warmup {
				samples[i-warmup] = t1 - t0
			}
		}
		return samples, err
	}
	stop := watchdog(v, loopDeadline)
	v.Do(func() {
		for i := 0; i < warmup+n && err == nil; i++ {
			t0 := now()
			e := rawRun(v)
			t1 := now()
			err = check(i, e)
			if i >= warmup {
				samples[i-warmup] = t1 - t0
			}
		}
	})
	if stop() {
		return nil, errors.Join(fmt.Errorf("the loop outlived %v and was kicked out", loopDeadline), err)
	}
	return samples, err
}

// watchdog kicks v repeatedly once d has passed, until the returned stop is
// called; stop reports whether it had to.
func watchdog(v *kvm.VCPU, d time.Duration) (stop func() bool) {
	done := make(chan struct{})
	var fired atomic.Bool
	go func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-done:
			return
		case <-t.C:
		}
		fired.Store(true)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			v.Kick()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() bool { close(done); return fired.Load() }
}

// kickPattern is one of the two ways to kick a vCPU.
type kickPattern struct {
	mask bool // the classic pattern: signal blocked in the thread, KVM_SET_SIGNAL_MASK
}

// kick sends one kick from any goroutine.
func (p kickPattern) kick(v *kvm.VCPU) {
	if p.mask {
		v.Signal(kvm.KickSignal)
	} else {
		v.Kick()
	}
}

// setup prepares the vCPU thread for the pattern and returns the undo.
func (p kickPattern) setup(v *kvm.VCPU) (undo func(), err error) {
	if !p.mask {
		return func() {}, nil
	}
	var old []byte
	v.Do(func() { old, err = kvm.ThreadSigmask(unix.SIG_BLOCK, kvm.Sigset(kvm.KickSignal)) })
	if err != nil {
		return nil, err
	}
	// Everything but the kick blocked inside KVM_RUN, so that the Go
	// runtime's own signals cannot end a run (the C reference has none).
	if r := v.SetSignalMask(kvm.DefaultSignalMask()...); !r.OK() {
		v.Do(func() { kvm.ThreadSigmask(unix.SIG_SETMASK, old) })
		return nil, r.Wrap("KVM_SET_SIGNAL_MASK")
	}
	return func() {
		v.ClearSignalMask()
		v.Do(func() { kvm.ThreadSigmask(unix.SIG_SETMASK, old) })
	}, nil
}

// clear consumes a kick on the vCPU thread; it reports whether there was
// one to consume.
func (p kickPattern) clear(v *kvm.VCPU) bool {
	if p.mask {
		return kvm.SigtimedwaitZero(kvm.KickSignal)
	}
	had := v.Run().ImmediateExit() == 1
	v.Run().SetImmediateExit(0)
	return had
}

// rawLoop is the protocol of the C reference: the vCPU thread announces
// each KVM_RUN, a kicker on its own locked thread waits a delay from the
// shared sequence, reads the clock and kicks; the vCPU thread reads the
// clock when KVM_RUN returns.
func (p kickPattern) rawLoop(v *kvm.VCPU, cfg report.Config) ([]int64, int, error) {
	undo, err := p.setup(v)
	if err != nil {
		return nil, 0, err
	}
	defer undo()
	warmup := cfg.Warmup / 10
	total := warmup + cfg.Kicks
	samples := make([]int64, cfg.Kicks)
	t0 := make([]atomic.Int64, total)
	var ready, done atomic.Int64
	ready.Store(-1)
	done.Store(-1)
	var lost atomic.Int64
	var abort atomic.Bool
	kickerDone := make(chan struct{})
	var placeErr error
	go func() {
		defer close(kickerDone)
		// Never unlocked: a thread whose affinity was changed exits
		// with the goroutine instead of carrying it into the pool (and
		// into the C reference's next fork).
		runtime.LockOSThread()
		if cfg.CPU >= 0 {
			if placeErr = PlaceAwayFrom(cfg.CPU); placeErr != nil {
				abort.Store(true)
				return
			}
		}
		delays := report.NewDelays(cfg.Seed)
		for i := int64(0); i < int64(total); i++ {
			for ready.Load() < i {
				if abort.Load() {
					return
				}
				pause()
			}
			spinFor(delays.Next())
			t0[i].Store(now())
			p.kick(v)
			deadline := now() + int64(KickTimeout)
			for done.Load() < i && !abort.Load() {
				if now() > deadline {
					lost.Add(1)
					p.kick(v)
					deadline += int64(KickTimeout)
				}
				pause()
			}
		}
	}()
	v.Do(func() {
		for i := 0; i < total; i++ {
			ready.Store(int64(i))
			e := rawRun(v)
			t1 := now()
			if e != unix.EINTR {
				err = fmt.Errorf("KVM_RUN %d: errno %v (%s), want EINTR from the kick", i, e, v.Run().Describe())
				break
			}
			start := t0[i].Load()
			if start == 0 { // not kicked yet: a spurious EINTR, run again
				i--
				continue
			}
			if i >= warmup {
				samples[i-warmup] = t1 - start
			}
			if had := p.clear(v); p.mask && !had {
				err = fmt.Errorf("kick %d: the kick signal was not pending after KVM_RUN", i)
				break
			}
			done.Store(int64(i))
		}
	})
	abort.Store(true)
	<-kickerDone
	return samples, int(lost.Load()), errors.Join(placeErr, err)
}

// harnessLoop is what a spec does: RunFor on the calling goroutine, the
// kick from another goroutine after the delay.
func (p kickPattern) harnessLoop(v *kvm.VCPU, cfg report.Config) ([]int64, int, error) {
	undo, err := p.setup(v)
	if err != nil {
		return nil, 0, err
	}
	defer undo()
	warmup := cfg.Warmup / 10
	samples := make([]int64, cfg.Kicks)
	delays := report.NewDelays(cfg.Seed)
	lost := 0
	for i := 0; i < warmup+cfg.Kicks; i++ {
		d := delays.Next()
		kicked := make(chan int64, 1)
		go func() {
			spinFor(d)
			t := now()
			p.kick(v)
			kicked <- t
		}()
		rr := v.RunFor(KickTimeout)
		t1 := now()
		start := <-kicked
		if rr.Stuck {
			return nil, lost, fmt.Errorf("kick %d: %s", i, rr)
		}
		if rr.DeadlinePassed {
			lost++
		} else if rr.Errno != unix.EINTR {
			return nil, lost, fmt.Errorf("kick %d: %s, want EINTR", i, rr)
		}
		if i >= warmup {
			samples[i-warmup] = t1 - start
		}
		var had bool
		v.Do(func() { had = p.clear(v) })
		if p.mask && !had && !rr.DeadlinePassed {
			return nil, lost, fmt.Errorf("kick %d: the kick signal was not pending after KVM_RUN", i)
		}
	}
	return samples, lost, nil
}
