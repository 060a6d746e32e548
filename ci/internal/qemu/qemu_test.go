package qemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

func TestCommandLines(t *testing.T) {
	o := Options{Kernel: "K", Initrd: "I"}
	common := " -m 1G -smp 2 -nographic -no-reboot -nic none -kernel K -initrd I -append"
	for _, c := range []struct {
		arch, want string
		kvm        bool
	}{
		{"amd64", "qemu-system-x86_64 -accel tcg,thread=single -M q35 -cpu qemu64,+svm,+npt -bios qboot.rom" + common + " console=ttyS0 panic=-1 quiet", true},
		{"arm64", "qemu-system-aarch64 -accel tcg -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on" + common + " console=ttyAMA0 panic=-1 quiet", true},
		{"ppc64le", "qemu-system-ppc64 -accel tcg -M pseries,cap-nested-hv=on,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -cpu power9" + common + " console=hvc0 panic=-1 quiet", true},
		{"riscv64", "qemu-system-riscv64 -accel tcg -M virt -cpu rv64,h=true -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin" + common + " console=ttyS0 panic=-1 quiet", true},
		{"s390x", "qemu-system-s390x -accel tcg -M s390-ccw-virtio -cpu max" + common + " console=ttysclp0 panic=-1 quiet", false},
		{"mips64le", "qemu-system-mips64el -accel tcg -M loongson3-virt -cpu Loongson-3A1000" + common + " console=ttyS0 panic=-1 quiet", false},
	} {
		a, err := target.Parse(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		m, err := For(a)
		if err != nil {
			t.Fatal(err)
		}
		argv := m.Command(o)
		// The command line is one argument.
		if last := argv[len(argv)-1]; !strings.HasPrefix(last, "console=") {
			t.Errorf("%s: -append value %q", c.arch, last)
		}
		if got := strings.Join(argv, " "); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.arch, got, c.want)
		}
		if m.KVM != c.kvm || a.Bootable() != c.kvm {
			t.Errorf("%s: KVM = %v, Bootable = %v, want %v", c.arch, m.KVM, a.Bootable(), c.kvm)
		}
	}

	m, _ := For(target.All()[0])
	argv := m.Command(Options{Kernel: "K", Initrd: "I", Memory: "2G", CPUs: 4, Append: "foo=bar"})
	got := strings.Join(argv, " ")
	if !strings.Contains(got, "-m 2G -smp 4") || !strings.HasSuffix(got, "quiet foo=bar") {
		t.Errorf("options not applied: %s", got)
	}
}

func TestCheckNamesPackage(t *testing.T) {
	m := Machine{Binary: "qemu-system-doesnotexist", Package: "qemu-system-foo"}
	_, err := m.Check()
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "install the Debian package qemu-system-foo") {
		t.Fatalf("err = %v", err)
	}
	m = Machine{Binary: "sh", Package: "dash", Firmware: "/nonexistent/fw.bin", FirmwarePackage: "opensbi"}
	if _, err := m.Check(); err == nil || !strings.Contains(err.Error(), "opensbi") {
		t.Fatalf("firmware err = %v", err)
	}
}

func TestTail(t *testing.T) {
	console := []byte("a\r\n\x1b[0mb\n\n" + strings.Repeat("x", 300) + "\nc\n")
	got := Tail(console, 3)
	parts := strings.Split(got, " | ")
	if len(parts) != 3 || parts[0] != "b" || len(parts[1]) != 160 || parts[2] != "c" {
		t.Fatalf("Tail = %q", got)
	}
	if got := Tail([]byte("\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\n"), 3); got != "SeaBIOS (version 1.16.2)" {
		t.Fatalf("escapes not removed: %q", got)
	}
	if Tail(nil, 3) != "(no console output)" {
		t.Fatal("empty tail")
	}
}

// watch is a console writer that closes seen once the output contains
// marker.
type watch struct {
	marker string
	mu     sync.Mutex
	buf    []byte
	seen   chan struct{}
	once   sync.Once
}

func newWatch(marker string) *watch { return &watch{marker: marker, seen: make(chan struct{})} }

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	found := bytes.Contains(w.buf, []byte(w.marker))
	w.mu.Unlock()
	if found {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// deadlineAt is a fake clock whose deadline (the first timer Run starts)
// comes when the watch sees its marker, or at the latest when the real
// deadline passes; later timers (the grace) are real.
func deadlineAt(w *watch) func(time.Duration) <-chan time.Time {
	var calls int
	return func(d time.Duration) <-chan time.Time {
		calls++
		if calls > 1 {
			return time.After(d)
		}
		c := make(chan time.Time, 1)
		go func() {
			select {
			case <-w.seen:
			case <-time.After(d):
			}
			c <- time.Now()
		}()
		return c
	}
}

// TestRunDeadlineAndDone exercises Run with a shell script standing in for
// QEMU. No verdict depends on how fast the script starts: the deadlines
// that must not pass are an hour, and the ones that must pass are reached
// by a fake clock once the script has printed its line (or are so short
// that the script, which sleeps for an hour, cannot finish first).
func TestRunDeadlineAndDone(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ctx := context.Background()

	t.Run("exits by itself", func(t *testing.T) {
		res, err := Run(ctx, []string{sh, "-c", "echo hello; echo oops >&2; exit 3"}, RunOptions{Deadline: time.Hour})
		if err != nil || string(res.Console) != "hello\n" || res.TimedOut || res.ExitErr == nil || !strings.Contains(res.Stderr, "oops") {
			t.Fatalf("exit: %+v %v", res, err)
		}
	})

	t.Run("hangs after booting", func(t *testing.T) {
		// The deadline comes once "booting" was printed, so the console
		// the caller reports always has it.
		w := newWatch("booting")
		res, err := Run(ctx, []string{sh, "-c", "echo booting; exec sleep 3600"}, RunOptions{
			Deadline: time.Hour, Console: w, After: deadlineAt(w)})
		if err != nil || !res.TimedOut || res.Finished || res.ExitErr == nil || !strings.Contains(string(res.Console), "booting") {
			t.Fatalf("hang: %+v %v", res, err)
		}
	})

	t.Run("real deadline", func(t *testing.T) {
		// A real timer still ends a run that never finishes: the script
		// sleeps for an hour, the deadline is 10ms.
		res, err := Run(ctx, []string{sh, "-c", "exec sleep 3600"}, RunOptions{Deadline: 10 * time.Millisecond})
		if err != nil || !res.TimedOut || res.ExitErr == nil {
			t.Fatalf("hang: %+v %v", res, err)
		}
	})

	t.Run("done line then no exit", func(t *testing.T) {
		// Killed after the grace: sleep 3600 would otherwise exit 0.
		res, err := Run(ctx, []string{sh, "-c", "echo DONE; exec sleep 3600"}, RunOptions{
			Deadline: time.Hour, Grace: 200 * time.Millisecond,
			Done: func(l string) bool { return strings.HasPrefix(l, "DONE") },
		})
		if err != nil || !res.Finished || res.TimedOut || res.ExitErr == nil {
			t.Fatalf("done: %+v %v", res, err)
		}
	})

	t.Run("no boot by the boot deadline", func(t *testing.T) {
		// A real 10ms boot deadline against a script that never says
		// it booted; the hour-long deadline does not matter.
		booted := func(l string) bool { return strings.HasPrefix(l, "init:") }
		res, err := Run(ctx, []string{sh, "-c", "echo firmware; exec sleep 3600"}, RunOptions{
			Deadline: time.Hour, Booted: booted, BootDeadline: 10 * time.Millisecond})
		if err != nil || !res.BootTimedOut || res.TimedOut || res.ExitErr == nil || !strings.Contains(string(res.Console), "firmware") {
			t.Fatalf("boot hang: %+v %v", res, err)
		}
	})

	t.Run("booted before the boot deadline", func(t *testing.T) {
		// The boot deadline comes (fake clock) once the init's line was
		// printed: it no longer counts, and the run ends by itself.
		w := newWatch("init: up")
		calls := 0
		after := func(d time.Duration) <-chan time.Time {
			calls++
			c := make(chan time.Time, 1)
			if calls == 2 { // the boot deadline: once the line is out
				go func() { <-w.seen; c <- time.Now() }()
			}
			return c // the deadline and the grace: never
		}
		res, err := Run(ctx, []string{sh, "-c", "echo init: up; sleep 0.2; echo DONE"}, RunOptions{
			Deadline: time.Hour, Console: w, After: after,
			Booted:       func(l string) bool { return strings.HasPrefix(l, "init:") },
			BootDeadline: time.Hour,
			Done:         func(l string) bool { return strings.HasPrefix(l, "DONE") },
		})
		if err != nil || res.BootTimedOut || res.TimedOut || !res.Finished || res.ExitErr != nil {
			t.Fatalf("booted: %+v %v", res, err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		w := newWatch("started")
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() { <-w.seen; cancel() }()
		res, err := Run(cctx, []string{sh, "-c", "echo started; exec sleep 3600"}, RunOptions{Deadline: time.Hour, Console: w})
		if !errors.Is(err, context.Canceled) || res == nil || res.TimedOut || !strings.Contains(string(res.Console), "started") {
			t.Fatalf("cancel: %+v %v", res, err)
		}
	})

	t.Run("missing binary", func(t *testing.T) {
		if _, err := Run(ctx, []string{"/nonexistent/qemu"}, RunOptions{Deadline: time.Hour}); err == nil {
			t.Fatal("missing binary started")
		}
	})
}

// TestTerminalWriter: what -v copies to the terminal has no escape
// sequences or control characters, however the writes split them.
func TestTerminalWriter(t *testing.T) {
	in := "\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS\r\n" + // firmware clearing the screen
		"\x1b]0;owned title\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n" + // OSC: title, hyperlink
		"bell\x07 bs\x08 nul\x00 del\x7f c1\u009b31m csi\u0085nel\n" +
		"tab\tünïcødé ✓ \xff\xfe bad\n" +
		"\x1bPqsixel data\x1b\\after dcs\x1b7\x1b8\n"
	want := "SeaBIOS\nlink\nbell bs nul del c1 csinel\ntab\tünïcødé ✓ \uFFFD\uFFFD bad\nafter dcs\n"
	for _, split := range []int{len(in), 1, 2, 3, 7} {
		var out bytes.Buffer
		w := TerminalWriter(&out)
		for s := in; len(s) > 0; {
			n := min(split, len(s))
			if k, err := w.Write([]byte(s[:n])); err != nil || k != n {
				t.Fatalf("Write = %d, %v", k, err)
			}
			s = s[n:]
		}
		if out.String() != want {
			t.Errorf("writes of %d bytes:\n got %q\nwant %q", split, out.String(), want)
		}
	}
}

// TestRunBoundsConsole plants a guest that writes more than MaxConsole,
// most of it one line: Run keeps the tail from a line start on, says how
// much it dropped, and still sees the done marker at the end of the long
// line.
func TestRunBoundsConsole(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// 4 MiB of 'x' on one line ending with the marker, 512 KiB of 'y',
	// a 1 MiB limit.
	script := "echo first; head -c 4194304 /dev/zero | tr '\\0' x; echo DONE; head -c 524288 /dev/zero | tr '\\0' y; echo; echo last"
	res, err := Run(context.Background(), []string{sh, "-c", script}, RunOptions{
		Deadline: time.Hour, MaxConsole: 1 << 20,
		Done: func(l string) bool { return strings.HasSuffix(l, "DONE\n") },
	})
	if err != nil {
		t.Fatal(err)
	}
	c := string(res.Console)
	if !res.Finished {
		t.Error("done line after a 4 MiB line not seen")
	}
	if len(c) > 1<<20+200 || len(c) < 512<<10 || !strings.HasPrefix(c, "[kvmconform: the console was longer than 1048576 bytes; its first ") ||
		strings.Contains(c, "first\n") || strings.Contains(c, "x") || !strings.HasSuffix(c, "yy\nlast\n") {
		t.Errorf("console of %d bytes: %.120q ... %q", len(c), c, c[max(0, len(c)-20):])
	}
	if res.ConsoleDropped < 3<<20 {
		t.Errorf("dropped %d", res.ConsoleDropped)
	}
}

// helperEnv makes the test binary the runner of TestKilledRunnerKillsQEMU.
const helperEnv = "KVMCONFORM_TEST_QEMU_RUNNER"

// TestHelperRunner is not a test: run with helperEnv set, it is a runner
// that starts a QEMU stand-in (a shell that prints its pid and sleeps for
// an hour) and waits.
func TestHelperRunner(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestKilledRunnerKillsQEMU")
	}
	// A busy runtime: goroutines that lock threads and exit, so that the
	// runtime ends threads while the stand-in runs. Only the thread that
	// started it must stay.
	go func() {
		for {
			done := make(chan struct{})
			go func() { runtime.LockOSThread(); close(done) }()
			<-done
			time.Sleep(time.Millisecond)
		}
	}()
	_, err := Run(context.Background(), []string{"sh", "-c", "echo qemu-pid $$; exec sleep 3600"}, RunOptions{Deadline: time.Hour, Console: os.Stdout})
	t.Fatalf("Run returned: %v", err)
}

// TestKilledRunnerKillsQEMU plants a runner killed with SIGKILL while its
// QEMU runs: QEMU must die with it (Pdeathsig), not run on for minutes.
// The check waits for the stand-in's death, however long the machine takes
// to deliver it; without Pdeathsig it would sleep for an hour, and the
// test fails after a minute.
func TestKilledRunnerKillsQEMU(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRunner$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "qemu-pid %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the helper never started its QEMU: %v", sc.Err())
	}
	go io.Copy(io.Discard, out)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(time.Minute)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("QEMU (pid %d) still runs a minute after its runner was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid exists and is not a zombie (an orphan is
// reaped by init, which may be slow or, in a container, never).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}
