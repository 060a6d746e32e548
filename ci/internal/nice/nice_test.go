package nice

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestCommandAsIs(t *testing.T) {
	for _, n := range []int{0, -5} {
		name, args := Command(n, "go", "build", "./...")
		if name != "go" || !slices.Equal(args, []string{"build", "./..."}) {
			t.Errorf("Command(%d) = %s %v", n, name, args)
		}
	}
}

// TestCommandRunsNiced: the program runs at the niceness asked for (at
// most Lowest), added to this process's own, as nice(1) adds it.
func TestCommandRunsNiced(t *testing.T) {
	if _, err := exec.LookPath("nice"); err != nil {
		t.Skip("no nice(1) here:", err)
	}
	own, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The raw syscall returns 20 - nice.
	base := 20 - own
	for _, n := range []int{5, 40} {
		name, args := Command(n, "sh", "-c", "cut -d' ' -f19 /proc/self/stat")
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		got, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("niceness %q: %v", out, err)
		}
		if want := min(base+min(n, Lowest), Lowest); got != want {
			t.Errorf("Command(%d): niceness %d, want %d (own %d)", n, got, want, base)
		}
	}
}
