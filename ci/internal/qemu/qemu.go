// Package qemu knows the per-architecture QEMU command lines that give a
// Linux guest working nested KVM under TCG, and runs QEMU with a deadline
// while capturing the guest console.
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
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// Machine is how one architecture is emulated.
type Machine struct {
	// Binary is the QEMU system emulator and Package the Debian package
	// that ships it.
	Binary, Package string
	// Args select machine and CPU (with virtualisation extensions).
	Args []string
	// Console is the guest console device for console= on the kernel
	// command line.
	Console string
	// Firmware, if set, must exist; FirmwarePackage ships it.
	Firmware, FirmwarePackage string
	// KVM reports whether a guest of this machine gets a working /dev/kvm.
	KVM bool
	// Accel is the -accel value (default "tcg", multi-threaded TCG).
	Accel string
}

// OpenSBI is the RISC-V firmware from Debian's opensbi package.
const OpenSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

// For returns the machine for an architecture. The lines are the ones
// measured in shared/docs/qemu-nested.md with QEMU 7.2.
func For(a target.Arch) (Machine, error) {
	switch a.GOARCH {
	case "amd64":
		// TCG emulates AMD SVM with nested paging, not Intel VMX. qboot
		// (qemu-system-data, a dependency of qemu-system-x86) boots faster
		// than SeaBIOS and avoids SeaBIOS stalls with newer QEMU.
		//
		// thread=single: with multi-threaded TCG the L1 kernel (6.12) oopses
		// with "Oops: int3" in __schedule when KVM patches kernel text
		// (int3-based text_poke_bp while the other vCPU runs stale
		// translations); measured 4 crashes in 6 boots, 0 in 12 with
		// round-robin TCG, at the same speed.
		return Machine{Binary: "qemu-system-x86_64", Package: "qemu-system-x86", KVM: true, Accel: "tcg,thread=single",
			Args:    []string{"-M", "q35", "-cpu", "qemu64,+svm,+npt", "-bios", "qboot.rom"},
			Console: "ttyS0"}, nil
	case "arm64":
		// virtualization=on gives EL2; pauth-impdef=on avoids slow QARMA.
		return Machine{Binary: "qemu-system-aarch64", Package: "qemu-system-arm", KVM: true,
			Args:    []string{"-M", "virt,virtualization=on,gic-version=3", "-cpu", "max,pauth-impdef=on"},
			Console: "ttyAMA0"}, nil
	case "ppc64le":
		// Nested-HV hcalls are implemented by QEMU for TCG; x-vof replaces
		// SLOF (10 s faster); the cap-* settings silence TCG warnings.
		return Machine{Binary: "qemu-system-ppc64", Package: "qemu-system-ppc", KVM: true,
			Args: []string{"-M", "pseries,cap-nested-hv=on,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off",
				"-cpu", "power9"},
			Console: "hvc0"}, nil
	case "riscv64":
		return Machine{Binary: "qemu-system-riscv64", Package: "qemu-system-misc", KVM: true,
			Args:     []string{"-M", "virt", "-cpu", "rv64,h=true", "-bios", OpenSBI},
			Console:  "ttyS0",
			Firmware: OpenSBI, FirmwarePackage: "opensbi"}, nil
	case "s390x":
		// Boots, but TCG has no SIE: kvm.ko fails with ENODEV.
		return Machine{Binary: "qemu-system-s390x", Package: "qemu-system-misc",
			Args:    []string{"-M", "s390-ccw-virtio", "-cpu", "max"},
			Console: "ttysclp0"}, nil
	case "mips64le":
		// Boots (slowly), but TCG does not emulate the VZ ASE.
		return Machine{Binary: "qemu-system-mips64el", Package: "qemu-system-mips",
			Args:    []string{"-M", "loongson3-virt", "-cpu", "Loongson-3A1000"},
			Console: "ttyS0"}, nil
	}
	return Machine{}, fmt.Errorf("no QEMU machine known for %s", a.GOARCH)
}

// Options are the per-boot settings.
type Options struct {
	Kernel, Initrd string
	// Memory (default "1G") and CPUs (default 2).
	Memory string
	CPUs   int
	// Append is added to the kernel command line.
	Append string
}

// Command returns the QEMU argument vector (argv[0] is the binary name).
func (m Machine) Command(o Options) []string {
	mem, cpus := o.Memory, o.CPUs
	if mem == "" {
		mem = "1G"
	}
	if cpus == 0 {
		cpus = 2
	}
	cmdline := "console=" + m.Console + " panic=-1 quiet"
	if o.Append != "" {
		cmdline += " " + o.Append
	}
	accel := m.Accel
	if accel == "" {
		accel = "tcg"
	}
	argv := []string{m.Binary, "-accel", accel}
	argv = append(argv, m.Args...)
	argv = append(argv,
		"-m", mem, "-smp", fmt.Sprint(cpus),
		"-nographic", "-no-reboot", "-nic", "none",
		"-kernel", o.Kernel, "-initrd", o.Initrd,
		"-append", cmdline)
	return argv
}

// Check verifies that the emulator and firmware are installed and returns
// the emulator's path.
func (m Machine) Check() (string, error) {
	bin, err := exec.LookPath(m.Binary)
	if err != nil {
		return "", fmt.Errorf("%s %w: install the Debian package %s", m.Binary, ErrNotInstalled, m.Package)
	}
	if m.Firmware != "" {
		if _, err := os.Stat(m.Firmware); err != nil {
			return "", fmt.Errorf("firmware %s %w: install the Debian package %s", m.Firmware, ErrNotInstalled, m.FirmwarePackage)
		}
	}
	return bin, nil
}

// Version returns the first line of "<binary> --version".
func Version(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// Result is what a QEMU run produced.
type Result struct {
	// Console is the guest's console output (QEMU's stdout).
	Console []byte
	// Stderr is QEMU's own diagnostics.
	Stderr string
	Wall   time.Duration
	// TimedOut is set when QEMU was killed at the deadline.
	TimedOut bool
	// Finished is set when the done line was seen on the console.
	Finished bool
	// ExitErr is QEMU's exit error (nil for status 0).
	ExitErr error
	// ConsoleDropped counts the bytes dropped from the start of a console
	// longer than RunOptions.MaxConsole; Console then starts with a line
	// saying so.
	ConsoleDropped int64
	// BootTimedOut is set when QEMU was killed at RunOptions.BootDeadline,
	// no console line having been recognised as booted.
	BootTimedOut bool
	// EarlierBoots, set by a caller that booted again after a
	// BootTimedOut, says how each earlier boot ended.
	EarlierBoots []string
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max     int
	buf     []byte
	dropped int64
}

func (b *tailBuffer) Write(p []byte) {
	b.buf = append(b.buf, p...)
	// Drop in steps of a quarter, so that the copying stays linear.
	if len(b.buf) > b.max+b.max/4 {
		cut := len(b.buf) - b.max
		b.dropped += int64(cut)
		b.buf = b.buf[:copy(b.buf, b.buf[cut:])]
	}
}

// Bytes returns the kept console: all of it, or a line naming what was
// dropped and the last max bytes from the first line start on.
func (b *tailBuffer) Bytes() []byte {
	if len(b.buf) > b.max {
		cut := len(b.buf) - b.max
		b.dropped += int64(cut)
		b.buf = b.buf[:copy(b.buf, b.buf[cut:])]
	}
	if b.dropped == 0 {
		return b.buf
	}
	rest := b.buf
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		b.dropped += int64(i + 1)
		rest = rest[i+1:]
	}
	note := fmt.Sprintf("[kvmconform: the console was longer than %d bytes; its first %d bytes were dropped]\n", b.max, b.dropped)
	out := make([]byte, 0, len(note)+len(rest))
	return append(append(out, note...), rest...)
}

// RunOptions control a QEMU run.
type RunOptions struct {
	// Deadline kills QEMU when it is reached (counted from the start).
	Deadline time.Duration
	// Done recognises the guest's last console line; after it QEMU gets
	// Grace (default 10 s) to exit on its own before it is killed.
	Done  func(line string) bool
	Grace time.Duration
	// Booted recognises a console line that shows the guest has booted
	// (its init runs); BootDeadline (0: none) kills QEMU when no such
	// line came by then, counted from the start (Result.BootTimedOut).
	Booted       func(line string) bool
	BootDeadline time.Duration
	// Console, if set, also receives the console output as it arrives.
	Console io.Writer
	// After starts the Deadline and Grace timers (nil: time.After). Tests
	// pass a fake clock so that the deadline comes when the guest has
	// shown what they wait for, instead of racing a real timer against
	// the boot.
	After func(time.Duration) <-chan time.Time
	// MaxConsole bounds Result.Console (default DefaultMaxConsole): of a
	// longer console the tail is kept, after a line saying how much was
	// dropped.
	MaxConsole int
}

// DefaultMaxConsole is how much console Run keeps by default; a run's
// console is well below 1 MiB, and what matters (the frames, the exit
// marker) comes last.
const DefaultMaxConsole = 64 << 20

// maxDoneLine is how much of a console line Run keeps for RunOptions.Done
// (the tail of a longer line).
const maxDoneLine = 64 << 10

// Run runs argv (argv[0] resolved with PATH) until it exits, the deadline
// passes or ctx is cancelled. It returns an error only if QEMU could not be
// started or ctx was cancelled; a non-zero exit is in Result.ExitErr.
//
// QEMU gets SIGKILL when the runner dies (Pdeathsig), so a killed runner
// leaves no emulator behind. The kernel sends it when the thread that
// started QEMU exits, not the process, so Run keeps its goroutine on that
// OS thread (runtime.LockOSThread) from the start until QEMU is reaped:
// no other goroutine runs there, so the Go runtime cannot end that thread
// under a running QEMU (it ends a thread whose goroutine exits locked).
func Run(ctx context.Context, argv []string, o RunOptions) (*Result, error) {
	if o.Grace == 0 {
		o.Grace = 10 * time.Second
	}
	if o.MaxConsole <= 0 {
		o.MaxConsole = DefaultMaxConsole
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	// A pipe that stays open: QEMU's -nographic stdio mux misbehaves with
	// /dev/null as stdin.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	defer stdin.Close()

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}

	res := &Result{}
	var mu sync.Mutex
	console := tailBuffer{max: o.MaxConsole}
	finished := make(chan struct{})
	booted := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		r := bufio.NewReaderSize(stdout, 64*1024)
		sawDone, sawBoot := false, false
		// line is the current line (its last maxDoneLine bytes) for
		// Done; a chunk is a line or, of a longer one, a buffer's worth.
		var line []byte
		for {
			chunk, err := r.ReadSlice('\n')
			if len(chunk) > 0 {
				mu.Lock()
				console.Write(chunk)
				mu.Unlock()
				line = append(line, chunk...)
				if len(line) > maxDoneLine {
					line = line[:copy(line, line[len(line)-maxDoneLine:])]
				}
				if chunk[len(chunk)-1] == '\n' || err != nil && err != bufio.ErrBufferFull {
					if !sawBoot && o.Booted != nil && o.Booted(string(line)) {
						sawBoot = true
						close(booted)
					}
					if !sawDone && o.Done != nil && o.Done(string(line)) {
						sawDone = true
						close(finished)
					}
					line = line[:0]
				}
				// Copied after the checks, so that a reader of
				// Console that sees a line sees what Run made of it.
				if o.Console != nil {
					_, _ = o.Console.Write(chunk)
				}
			}
			if err != nil && err != bufio.ErrBufferFull {
				return
			}
		}
	}()
	waitErr := make(chan error, 1)
	go func() {
		<-readDone
		waitErr <- cmd.Wait()
	}()

	after := o.After
	if after == nil {
		after = time.After
	}
	deadline := after(o.Deadline)
	var bootDeadline <-chan time.Time
	if o.BootDeadline > 0 && o.Booted != nil {
		bootDeadline = after(o.BootDeadline)
	}
	bootLine := (<-chan struct{})(booted)
	var grace <-chan time.Time
	var cancelled error
	fin := (<-chan struct{})(finished)
wait:
	for {
		select {
		case err := <-waitErr:
			res.ExitErr = err
			break wait
		case <-bootLine:
			bootLine, bootDeadline = nil, nil
		case <-bootDeadline:
			select {
			case <-booted: // it came with the deadline
				bootLine, bootDeadline = nil, nil
				continue
			default:
			}
			res.BootTimedOut = true
			_ = cmd.Process.Kill()
			res.ExitErr = <-waitErr
			break wait
		case <-fin:
			res.Finished = true
			fin, bootDeadline = nil, nil
			grace = after(o.Grace)
		case <-grace:
			_ = cmd.Process.Kill()
			res.ExitErr = <-waitErr
			break wait
		case <-deadline:
			if res.Finished {
				continue
			}
			res.TimedOut = true
			_ = cmd.Process.Kill()
			res.ExitErr = <-waitErr
			break wait
		case <-ctx.Done():
			cancelled = ctx.Err()
			_ = cmd.Process.Kill()
			res.ExitErr = <-waitErr
			break wait
		}
	}
	res.Wall = time.Since(start)
	mu.Lock()
	res.Console = console.Bytes()
	mu.Unlock()
	res.ConsoleDropped = console.dropped
	res.Stderr = stderr.String()
	if cancelled != nil {
		return res, cancelled
	}
	return res, nil
}

// Tail returns the last n non-empty lines of console output joined with
// " | ", control characters removed and long lines shortened, for one-line
// error messages.
func Tail(console []byte, n int) string {
	var lines []string
	for _, l := range strings.Split(ansi.ReplaceAllString(string(console), ""), "\n") {
		l = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, l)
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if len(l) > 160 {
			l = l[:157] + "..."
		}
		lines = append(lines, l)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(no console output)"
	}
	return strings.Join(lines, " | ")
}

// TerminalWriter returns a writer that passes what the guest writes on to
// w (a terminal, for -v) without its control characters and escape
// sequences: newlines and tabs stay, carriage returns, other C0 and C1
// controls, ANSI escape sequences (CSI, OSC up to BEL or ST, and two-byte
// ones) and invalid UTF-8 go. Sequences split between writes are handled.
// Errors of w are returned.
func TerminalWriter(w io.Writer) io.Writer { return &termWriter{w: w} }

type termState int

const (
	termText   termState = iota
	termEsc              // after ESC
	termCSI              // in ESC [ ... final byte
	termString           // in ESC ] (or P, X, ^, _) ... BEL or ESC \
	termStrEsc           // ESC inside a string
)

type termWriter struct {
	w     io.Writer
	state termState
	// part is an incomplete UTF-8 sequence from the end of the last
	// write.
	part []byte
	out  []byte
}

func (t *termWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(t.part) > 0 {
		p = append(t.part, p...)
		t.part = nil
	}
	t.out = t.out[:0]
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size <= 1 && !utf8.FullRune(p) {
			t.part = append([]byte{}, p...)
			break
		}
		c := p[:size]
		p = p[size:]
		switch t.state {
		case termEsc:
			switch {
			case r == '[':
				t.state = termCSI
			case r == ']' || r == 'P' || r == 'X' || r == '^' || r == '_':
				t.state = termString
			case r == 0x1b:
			default:
				t.state = termText
			}
			continue
		case termCSI:
			if r >= 0x40 && r <= 0x7e {
				t.state = termText
			}
			continue
		case termString:
			switch r {
			case 0x07:
				t.state = termText
			case 0x1b:
				t.state = termStrEsc
			}
			continue
		case termStrEsc:
			if r == '\\' {
				t.state = termText
			} else if r != 0x1b {
				t.state = termString
			}
			continue
		}
		switch {
		case r == 0x1b:
			t.state = termEsc
		case r == 0x9b: // C1 CSI
			t.state = termCSI
		case r == 0x9d: // C1 OSC
			t.state = termString
		case r == '\n' || r == '\t':
			t.out = append(t.out, c...)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
		case r == utf8.RuneError && size == 1:
			t.out = append(t.out, "\uFFFD"...)
		default:
			t.out = append(t.out, c...)
		}
	}
	if len(t.out) > 0 {
		if _, err := t.w.Write(t.out); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// ansi matches terminal escape sequences (firmware clears the screen).
var ansi = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_a-z])`)

// ErrNotInstalled is wrapped by Check's errors.
var ErrNotInstalled = errors.New("is not installed")
