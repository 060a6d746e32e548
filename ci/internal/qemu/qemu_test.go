package qemu

import (
	"context"
	"errors"
	"os/exec"
	"strings"
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

// TestRunDeadlineAndDone exercises Run with a shell script standing in for
// QEMU.
func TestRunDeadlineAndDone(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ctx := context.Background()

	// Exits by itself.
	res, err := Run(ctx, []string{sh, "-c", "echo hello; echo oops >&2; exit 3"}, RunOptions{Deadline: 10 * time.Second})
	if err != nil || string(res.Console) != "hello\n" || res.TimedOut || res.ExitErr == nil || !strings.Contains(res.Stderr, "oops") {
		t.Fatalf("exit: %+v %v", res, err)
	}

	// Hangs: killed at the deadline.
	start := time.Now()
	res, err = Run(ctx, []string{sh, "-c", "echo booting; exec sleep 60"}, RunOptions{Deadline: 500 * time.Millisecond})
	if err != nil || !res.TimedOut || time.Since(start) > 5*time.Second || !strings.Contains(string(res.Console), "booting") {
		t.Fatalf("hang: %+v %v after %s", res, err, time.Since(start))
	}

	// Prints the done line but does not exit: killed after the grace.
	start = time.Now()
	res, err = Run(ctx, []string{sh, "-c", "echo DONE; exec sleep 60"}, RunOptions{
		Deadline: 30 * time.Second, Grace: 200 * time.Millisecond,
		Done: func(l string) bool { return strings.HasPrefix(l, "DONE") },
	})
	if err != nil || !res.Finished || res.TimedOut || time.Since(start) > 5*time.Second {
		t.Fatalf("done: %+v %v after %s", res, err, time.Since(start))
	}

	// Cancelled.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	res, err = Run(cctx, []string{sh, "-c", "exec sleep 60"}, RunOptions{Deadline: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) || res == nil {
		t.Fatalf("cancel: %+v %v", res, err)
	}

	if _, err := Run(ctx, []string{"/nonexistent/qemu"}, RunOptions{Deadline: time.Second}); err == nil {
		t.Fatal("missing binary started")
	}
}
