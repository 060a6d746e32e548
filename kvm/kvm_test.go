package kvm

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
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
	binary.NativeEndian.PutUint32(mem[8:], uint32(uapi.KVM_EXIT_MMIO))
	u := uapi.OffRunExitUnion
	binary.NativeEndian.PutUint64(mem[u:], 0xd0000)
	copy(mem[u+8:], []byte{1, 2, 3, 4})
	binary.NativeEndian.PutUint32(mem[u+16:], 4)
	mem[u+20] = 1
	m := r.MMIO()
	if r.ExitReason() != uapi.KVM_EXIT_MMIO || m.PhysAddr != 0xd0000 || m.Len != 4 || !m.IsWrite || m.Data[3] != 4 {
		t.Errorf("MMIO decoded as %+v (%s)", m, r.Describe())
	}
	binary.NativeEndian.PutUint32(mem[8:], uint32(uapi.KVM_EXIT_IO))
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

// TestOpenWhatIsThere plants what a device path may wrongly name: each is
// "not a KVM device", never "no KVM module is loaded", and nothing is
// opened that would block (a FIFO).
func TestOpenWhatIsThere(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	for _, c := range []struct {
		path, want string
		cause      error
	}{
		{file, "not a KVM device (a regular file, not a character device)", ErrNotKVM},
		{dir, "not a KVM device (a directory, not a character device)", ErrNotKVM},
		{fifo, "not a KVM device (a named pipe (FIFO), not a character device)", ErrNotKVM},
		{sock, "not a KVM device (a socket, not a character device)", ErrNotKVM},
		{filepath.Join(dir, "missing"), "no KVM device: the device node is missing", ErrNoDevice},
		{dangling, "no KVM device: the device node is missing", ErrNoDevice},
		{filepath.Join(file, "below-a-file"), "not a KVM device", ErrNotKVM}, // ENOTDIR
	} {
		_, err := Open(c.path)
		if !errors.Is(err, c.cause) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "module is loaded") && c.cause != ErrNoDevice {
			t.Errorf("%s: %v; want %v with %q", c.path, err, c.cause, c.want)
		}
	}
	// /dev/tty without a controlling terminal gives ENXIO: a character
	// device, but not KVM's.
	if _, err := os.Stat("/dev/tty"); err == nil {
		if _, err := Open("/dev/tty"); !errors.Is(err, ErrNotKVM) || strings.Contains(err.Error(), "module") {
			t.Errorf("/dev/tty: %v, want ErrNotKVM", err)
		}
	}
	// A character device with no driver (240:0 is for local use).
	nodev := filepath.Join(dir, "c240")
	if err := unix.Mknod(nodev, unix.S_IFCHR|0o600, int(unix.Mkdev(240, 0))); err == nil {
		_, err := Open(nodev)
		if !errors.Is(err, ErrNotKVM) || !strings.Contains(err.Error(), "character device 240:0, not KVM's (10:232)") {
			t.Errorf("%s: %v", nodev, err)
		}
	} else {
		t.Logf("mknod: %v (not root?): the driverless node is not checked", err)
	}
}

// TestPermissionAdvice: the hint for EACCES shows the node's owner, group
// and mode and gives the advice that fits them. (Root opens any node, so
// the nodes are described, not planted.)
func TestPermissionAdvice(t *testing.T) {
	for _, c := range []struct {
		n         node
		want, not string
	}{
		// A host with a root-only node: root:root 0600 and no group kvm.
		{node{Mode: 0o600, Owner: "root", Group: "root"},
			`the node is crw------- root:root, so only root may open it: run as root, or change the node's permissions (there is no group kvm: groupadd --system kvm, then a udev rule such as KERNEL=="kvm", GROUP="kvm", MODE="0660"`,
			": add the user to group"},
		{node{Mode: 0o600, Owner: "root", Group: "kvm", GID: 36, KVMGroupExists: true},
			"crw------- root:kvm, so only root may open it: run as root, or change the node's permissions (a udev rule", "no group kvm"},
		{node{Mode: 0o660, Owner: "root", Group: "kvm", GID: 36, KVMGroupExists: true},
			"the node is crw-rw---- root:kvm: add the user to group kvm (usermod -aG kvm USER, then log in again) or run as root", "udev"},
		{node{Mode: 0o660, Owner: "root", Group: "kvm", GID: 36, KVMGroupExists: true, InGroup: true},
			"the process is in group kvm, which may open it, so something else denies access (a nodev mount", "add the user"},
		{node{Mode: 0o660, Owner: "root", Group: "root"}, "only root may open it", "add the user to group root"},
		{node{Mode: 0o666, Owner: "root", Group: "root"}, "crw-rw-rw- root:root: anyone may open it by its mode, so something else denies access", "run as root"},
		{node{Mode: 0o600, UID: 1000, GID: 1000, IsOwner: true}, "crw------- 1000:1000: this user owns it, so something else", "udev"},
	} {
		got := permissionAdvice(c.n)
		if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
			t.Errorf("%+v:\n got %q\nwant %q, without %q", c.n, got, c.want, c.not)
		}
	}
	// The message: path, cause, the advice, the errno.
	msg := (&OpenError{Path: "/dev/kvm", Cause: ErrPermission, Err: unix.EACCES, Detail: permissionAdvice(node{Mode: 0o600, Owner: "root", Group: "root"})}).Error()
	if !strings.HasPrefix(msg, "/dev/kvm: no permission on the KVM device: the node is crw------- root:root, so only root") || !strings.HasSuffix(msg, "(permission denied)") {
		t.Errorf("message %q", msg)
	}
	// Open fills it in from the node (a chmod'ed node; root is not
	// denied, so only when not root).
	if os.Geteuid() != 0 {
		if _, err := Open("/dev/kvm"); errors.Is(err, ErrPermission) && !strings.Contains(err.Error(), "the node is c") {
			t.Errorf("/dev/kvm: %v", err)
		}
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
	// Another architecture's exit names itself on this GOARCH too, and a
	// number the uapi does not define stays a number.
	if s := (RunResult{ExitReason: uapi.KVM_EXIT_S390_SIEIC}).String(); s != "KVM_RUN = 0, exit_reason 13 (S390_SIEIC), 0s" {
		t.Errorf("s390 exit: %q", s)
	}
	if s := (RunResult{ExitReason: 0xdeadbeef}).String(); s != "KVM_RUN = 0, exit_reason 3735928559 (ExitReason(3735928559)), 0s" {
		t.Errorf("undefined exit: %q", s)
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

// TestThreadRestart is the hot path's shape: one task submitted again and
// again, with closures short enough that the thread finishes a run, and
// parks for the next, before the put or the finish of the run before has
// reached its wake-up. A wait that returns true must mean that this run's
// closure has returned, and the thread must never take a task twice or
// none.
func TestThreadRestart(t *testing.T) {
	for _, spin := range []time.Duration{0, time.Microsecond, 200 * time.Microsecond} {
		th := startThread(spin)
		var slow atomic.Int64
		th.beforeWake = func() {
			if slow.Add(1)%3 == 0 { // puts and finishes alternate: slow both kinds
				time.Sleep(50 * time.Microsecond)
			}
		}
		var ran atomic.Int64
		tk := th.start(func() { ran.Add(1) })
		for i := int64(1); i <= 2000; i++ {
			if i > 1 {
				th.restart(tk)
			}
			w := spin
			if i%3 == 0 {
				w = 0
			}
			for !tk.wait(time.Millisecond, w) {
			}
			if got := ran.Load(); got != i {
				t.Fatalf("spin %v: wait returned after run %d with %d closures run", spin, i, got)
			}
			if i%5 == 0 {
				// Submit nothing for a while: a thread woken for the
				// run just taken finds no task.
				time.Sleep(100 * time.Microsecond)
			}
		}
		th.stop()
	}
}
