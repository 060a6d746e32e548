// Package nice runs a program at a lower CPU priority: the runner's work
// that it starts ahead of the row that needs it (a kernel build, a
// cross-build) must not take the CPUs from the guest that is running.
package nice

import (
	"os/exec"
	"strconv"
)

// Lowest is the niceness of work started ahead of time: it gets a CPU
// only when nothing at the default priority wants it.
const Lowest = 19

// Command returns the program and arguments that run name with args at
// niceness n (0-19) through nice(1): nice execs the program, so it keeps
// the process (and the process group a caller kills), and its children
// inherit the niceness. With n ≤ 0, or without nice(1), it is name and
// args as they are.
func Command(n int, name string, args ...string) (string, []string) {
	if n <= 0 {
		return name, args
	}
	bin, err := exec.LookPath("nice")
	if err != nil {
		return name, args
	}
	return bin, append([]string{"-n", strconv.Itoa(min(n, Lowest)), name}, args...)
}
