package kvm

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/internal/uapi"
	"golang.org/x/sys/unix"
)

func TestKernelSigsetSize(t *testing.T) {
	want := 8
	if runtime.GOARCH == "mips64" || runtime.GOARCH == "mips64le" {
		want = 16
	}
	if KernelSigsetSize != want {
		t.Fatalf("kernel sigset on %s is %d bytes, want %d", runtime.GOARCH, KernelSigsetSize, want)
	}
	set := Sigset(unix.SIGUSR2, unix.SIGINT)
	if len(set) != want {
		t.Fatalf("Sigset is %d bytes", len(set))
	}
	// Signal n is bit n-1 of a native-endian unsigned long.
	w := binary.NativeEndian.Uint64(set)
	// Signal numbers differ per architecture (SIGUSR2 is 12 on most, 17 on
	// MIPS), so the expectation uses the platform's numbers.
	if want := uint64(1)<<(int(unix.SIGUSR2)-1) | 1<<(int(unix.SIGINT)-1); w != want {
		t.Errorf("sigset word = %#x", w)
	}
	if !SigsetHas(set, unix.SIGUSR2) || SigsetHas(set, unix.SIGUSR1) {
		t.Errorf("SigsetHas disagrees with Sigset")
	}
	if SigsetHas(Sigset(DefaultSignalMask()...), KickSignal) {
		t.Errorf("the default KVM signal mask blocks the kick signal")
	}
}

func TestRunViewDecoding(t *testing.T) {
	mem := make([]byte, 8192)
	r := NewRunView(mem)
	r.SetImmediateExit(1)
	if mem[1] != 1 || mem[0] != 0 || mem[2] != 0 {
		t.Fatalf("immediate_exit store touched % x, want only byte 1", mem[:4])
	}
	mem[0] = 0x5a // request_interrupt_window must survive
	r.SetImmediateExit(0)
	if mem[0] != 0x5a || mem[1] != 0 || r.ImmediateExit() != 0 {
		t.Fatalf("clearing immediate_exit: % x", mem[:4])
	}
	binary.NativeEndian.PutUint32(mem[8:], uapi.KVM_EXIT_MMIO)
	u := uapi.OffRunExitUnion
	binary.NativeEndian.PutUint64(mem[u:], 0xd0000)
	copy(mem[u+8:], []byte{1, 2, 3, 4})
	binary.NativeEndian.PutUint32(mem[u+16:], 4)
	mem[u+20] = 1
	m := r.MMIO()
	if r.ExitReason() != uapi.KVM_EXIT_MMIO || m.PhysAddr != 0xd0000 || m.Len != 4 || !m.IsWrite || m.Data[3] != 4 {
		t.Errorf("MMIO decoded as %+v (%s)", m, r.Describe())
	}
	binary.NativeEndian.PutUint32(mem[8:], uapi.KVM_EXIT_IO)
	mem[u] = uapi.KVM_EXIT_IO_IN
	mem[u+1] = 2
	binary.NativeEndian.PutUint16(mem[u+2:], 0x3f0)
	binary.NativeEndian.PutUint32(mem[u+4:], 1)
	binary.NativeEndian.PutUint64(mem[u+8:], 4096)
	io := r.IO()
	if io.Port != 0x3f0 || io.Size != 2 || io.Count != 1 || io.DataOffset != 4096 {
		t.Errorf("IO decoded as %+v", io)
	}
	if d, err := r.IOData(); err != nil || len(d) != 2 {
		t.Errorf("IOData = %v, %v", d, err)
	}
	binary.NativeEndian.PutUint64(mem[u+8:], 8191)
	if _, err := r.IOData(); err == nil {
		t.Errorf("IOData accepted a data_offset outside the mapping")
	}
}

func TestOneRegWidths(t *testing.T) {
	id32 := uint64(uapi.KVM_REG_SIZE_U32)
	buf := oneRegBuffer(id32, 0x1122334455667788)
	if oneRegValue(id32, buf) != 0x55667788 {
		t.Errorf("u32 one_reg round trip = %#x", oneRegValue(id32, buf))
	}
	id64 := uint64(uapi.KVM_REG_SIZE_U64)
	if oneRegValue(id64, oneRegBuffer(id64, 0x1122334455667788)) != 0x1122334455667788 {
		t.Errorf("u64 one_reg round trip")
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "no-such-kvm"))
	var oe *OpenError
	if !errors.As(err, &oe) || !errors.Is(err, ErrNoDevice) {
		t.Fatalf("missing device: %v, want ErrNoDevice", err)
	}
	_, err = Open("/dev/null")
	if !errors.Is(err, ErrNotKVM) {
		t.Fatalf("/dev/null: %v, want ErrNotKVM", err)
	}
	if _, reason := Probe("/dev/null"); reason == "" {
		t.Fatalf("Probe(/dev/null) gave no skip reason")
	}
}

func TestOpenCause(t *testing.T) {
	for _, c := range []struct {
		err  error
		want error
	}{
		{unix.ENOENT, ErrNoDevice}, {unix.ENODEV, ErrNoDevice}, {unix.ENXIO, ErrNoDevice},
		{unix.EACCES, ErrPermission}, {unix.EPERM, ErrPermission},
		{unix.EISDIR, ErrNotKVM},
	} {
		if got := openCause(c.err); got != c.want {
			t.Errorf("openCause(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	msg := (&OpenError{Path: "/dev/kvm", Cause: ErrPermission, Err: unix.EACCES}).Error()
	if !strings.Contains(msg, "group kvm") {
		t.Errorf("permission message does not say what to do: %q", msg)
	}
}

// The vCPU thread keeps its identity: every closure runs on the same OS
// thread, which is what tgkill targets.
func TestThreadIdentity(t *testing.T) {
	th := startThread(handoffSpin())
	defer th.stop()
	var tids []int
	for i := 0; i < 5; i++ {
		th.do(func() { tids = append(tids, unix.Gettid()) })
	}
	for _, tid := range tids {
		if tid != th.tid {
			t.Fatalf("closure ran on thread %d, want %d", tid, th.tid)
		}
	}
	tk := th.start(func() { time.Sleep(time.Millisecond) })
	if !tk.wait(time.Minute, 0) {
		t.Fatal("a started closure did not finish")
	}
}

// TestRunResultString: the harness's outcomes lead the message and are
// never dressed up as an errno the kernel did not return.
func TestRunResultString(t *testing.T) {
	stuck := RunResult{Result: NoAnswer(ErrStuck), Deadline: 2 * time.Second, DeadlinePassed: true, Stuck: true, Elapsed: 4 * time.Second, ImmediateExit: 1}
	s := stuck.String()
	if !strings.HasPrefix(s, "STUCK: ") || strings.Contains(s, "EDEADLK") || strings.Contains(s, "-1") {
		t.Errorf("stuck: %q", s)
	}
	if stuck.OK() || stuck.Err() != ErrStuck {
		t.Errorf("a stuck run is OK() = %v, Err() = %v", stuck.OK(), stuck.Err())
	}
	late := RunResult{Result: Fail(unix.EINTR), ExitReason: uapi.KVM_EXIT_INTR, Deadline: 2 * time.Second, DeadlinePassed: true, ImmediateExit: 1}
	if s := late.String(); !strings.HasPrefix(s, "deadline passed: ") || !strings.Contains(s, "although immediate_exit was 1") || !strings.Contains(s, "EINTR") {
		t.Errorf("deadline passed with immediate_exit set: %q", s)
	}
	if r := NoAnswer(ErrStuck); r.Wrap("KVM_GET_REGS") == nil || !errors.Is(r.Wrap("KVM_GET_REGS"), ErrStuck) || r.Errno != 0 {
		t.Errorf("NoAnswer: %+v", r)
	}
	if s := (RunResult{}).String(); s != "KVM_RUN = 0, exit_reason 0 (UNKNOWN), 0s" {
		t.Errorf("plain: %q", s)
	}
}

// TestThreadHandoff hammers the hand-off from several goroutines at once,
// with and without spinning, so that every interleaving of "the thread
// parks" and "a task arrives" (and of "the waiter parks" and "the task
// finishes") is taken: each closure runs once, on the thread, and every
// wait returns.
func TestThreadHandoff(t *testing.T) {
	for _, spin := range []time.Duration{0, time.Microsecond, 200 * time.Microsecond} {
		th := startThread(spin)
		var ran atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 2000; i++ {
					tk := th.start(func() {
						if unix.Gettid() != th.tid {
							panic("closure off its thread")
						}
						ran.Add(1)
					})
					w := spin
					if i%3 == 0 {
						w = 0 // the waiter sleeps at once
					}
					for !tk.wait(time.Millisecond, w) {
					}
					if i%7 == 0 {
						time.Sleep(time.Duration(i%5) * time.Microsecond) // let the thread park
					}
				}
			}()
		}
		wg.Wait()
		th.stop()
		if got := ran.Load(); got != 8000 {
			t.Fatalf("spin %v: %d closures ran, want 8000", spin, got)
		}
	}
}
