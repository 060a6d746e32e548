// Package stress is the budget of the stress specs (Ginkgo label
// "stress": SIG-6's kick loops, MP-X9's INIT/SIPI rounds), shared by the
// suites' harness, which reads it from the environment, and the QEMU
// runner, which sets it for the guests it boots.
//
// A stress spec has a native depth: SIG-6 stops after 10,000 kicks or
// 10 s, MP-X9 runs 20 repetitions of 1,000 rounds. On hardware that depth
// costs a few seconds; on an emulated CPU (QEMU TCG, where a kick takes
// milliseconds) it is tens of seconds per spec and per row of the matrix.
// A budget caps each stress loop's time instead: the spec still checks
// every iteration it runs exactly as at full depth, it only runs fewer of
// them, and its report entry says the budget it ran with and how many
// iterations it achieved.
package stress

import (
	"fmt"
	"strings"
	"time"
)

// Env names the environment variable that sets the budget: "full" (or
// unset) for the native depth, or a duration ("3s") that caps the time of
// each stress loop. The QEMU runner (ci run --stress) sets it in the
// guest; natively it is normally unset.
const Env = "KVMCONFORM_STRESS"

// MaxCap is the largest time cap a budget may set.
const MaxCap = time.Hour

// Budget is what a stress spec may spend. The zero value is the full,
// native depth.
type Budget struct {
	// Cap, when non-zero, bounds the time of each stress loop in place
	// of the spec's own cap (SIG-6: 10 s; MP-X9 has none): the loop
	// stops at its native count or before an iteration that would end
	// past Cap at the pace of those before it, whichever comes first, and
	// always runs at least one iteration. A cap above the spec's own
	// raises the depth where the native count is not reached in the
	// native cap (an emulated CPU).
	Cap time.Duration
}

// Full is the native depth.
var Full = Budget{}

// IsFull reports whether b is the native depth.
func (b Budget) IsFull() bool { return b.Cap == 0 }

// String is how the budget is written: "full" or the cap ("3s"); Parse
// reads it back.
func (b Budget) String() string {
	if b.IsFull() {
		return "full"
	}
	return b.Cap.String()
}

// Parse reads a budget: "" or "full" is the native depth, a duration (as
// time.ParseDuration reads it: "3s", "500ms", "1m") a time cap of at most
// MaxCap.
func Parse(s string) (Budget, error) {
	switch strings.TrimSpace(s) {
	case "", "full":
		return Full, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 || d > MaxCap {
		return Full, fmt.Errorf("stress budget %q: want \"full\" (the native depth) or a duration from 1ms to 1h that caps each stress loop (\"3s\")", s)
	}
	return Budget{Cap: d}, nil
}

// CapFor is the time cap a stress loop runs with under b: b.Cap, or the
// loop's own cap native (0: none) at full depth.
func (b Budget) CapFor(native time.Duration) time.Duration {
	if b.IsFull() {
		return native
	}
	return b.Cap
}
