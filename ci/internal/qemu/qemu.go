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
	"strings"
	"sync"
	"time"

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
}

// RunOptions control a QEMU run.
type RunOptions struct {
	// Deadline kills QEMU when it is reached (counted from the start).
	Deadline time.Duration
	// Done recognises the guest's last console line; after it QEMU gets
	// Grace (default 10 s) to exit on its own before it is killed.
	Done  func(line string) bool
	Grace time.Duration
	// Console, if set, also receives the console output as it arrives.
	Console io.Writer
	// After starts the Deadline and Grace timers (nil: time.After). Tests
	// pass a fake clock so that the deadline comes when the guest has
	// shown what they wait for, instead of racing a real timer against
	// the boot.
	After func(time.Duration) <-chan time.Time
}

// Run runs argv (argv[0] resolved with PATH) until it exits, the deadline
// passes or ctx is cancelled. It returns an error only if QEMU could not be
// started or ctx was cancelled; a non-zero exit is in Result.ExitErr.
func Run(ctx context.Context, argv []string, o RunOptions) (*Result, error) {
	if o.Grace == 0 {
		o.Grace = 10 * time.Second
	}
	cmd := exec.Command(argv[0], argv[1:]...)
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
	var console bytes.Buffer
	finished := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		r := bufio.NewReaderSize(stdout, 64*1024)
		seen := false
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				mu.Lock()
				console.Write(line)
				mu.Unlock()
				if o.Console != nil {
					_, _ = o.Console.Write(line)
				}
				if !seen && o.Done != nil && o.Done(string(line)) {
					seen = true
					close(finished)
				}
			}
			if err != nil {
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
	var grace <-chan time.Time
	var cancelled error
	fin := (<-chan struct{})(finished)
wait:
	for {
		select {
		case err := <-waitErr:
			res.ExitErr = err
			break wait
		case <-fin:
			res.Finished = true
			fin = nil
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

// ansi matches terminal escape sequences (firmware clears the screen).
var ansi = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_a-z])`)

// ErrNotInstalled is wrapped by Check's errors.
var ErrNotInstalled = errors.New("is not installed")
