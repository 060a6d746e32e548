package report

import (
	"fmt"
	"slices"
	"time"
)

// Measurement names, shared with the C reference.
const (
	IOExit            = "io-exit"
	ImmediateExit     = "immediate-exit"
	KickImmediateExit = "kick-immediate-exit"
	KickSignalMask    = "kick-signal-mask"
)

// Measurements lists them in table order.
func Measurements() []string {
	return []string{IOExit, ImmediateExit, KickImmediateExit, KickSignalMask}
}

// Describe says what a measurement is, for the table.
func Describe(name string) string {
	switch name {
	case IOExit:
		return "KVM_RUN round trip, one exit to userspace"
	case ImmediateExit:
		return "KVM_RUN with immediate_exit = 1 (EINTR)"
	case KickImmediateExit:
		return "kick latency: immediate_exit, then signal"
	case KickSignalMask:
		return "kick latency: signal unblocked by KVM_SET_SIGNAL_MASK"
	}
	return name
}

// Implementations.
const (
	ImplC       = "c"
	ImplGo      = "go"
	ImplHarness = "go-harness"
)

// Implementations lists them in table order.
func Implementations() []string { return []string{ImplC, ImplGo, ImplHarness} }

// Result is one measurement of one implementation, in nanoseconds (the C
// reference prints the same JSON).
type Result struct {
	Name string  `json:"name"`
	Impl string  `json:"impl"`
	N    int     `json:"n"`
	Lost int     `json:"lost"`
	Min  int64   `json:"min_ns"`
	P50  int64   `json:"p50_ns"`
	P99  int64   `json:"p99_ns"`
	Max  int64   `json:"max_ns"`
	Mean float64 `json:"mean_ns"`
	// Err, when set, says why there are no numbers.
	Err string `json:"error,omitempty"`
}

// Summarize turns samples (ns) into a Result: nearest-rank percentiles, as
// the C reference computes them. It sorts samples in place.
func Summarize(name, impl string, samples []int64, lost int) Result {
	r := Result{Name: name, Impl: impl, N: len(samples), Lost: lost}
	if len(samples) == 0 {
		r.Err = "no samples"
		return r
	}
	slices.Sort(samples)
	var sum float64
	for _, s := range samples {
		sum += float64(s)
	}
	r.Min, r.Max = samples[0], samples[len(samples)-1]
	r.P50 = rank(samples, 500)
	r.P99 = rank(samples, 990)
	r.Mean = sum / float64(len(samples))
	return r
}

// rank is the nearest-rank percentile (permille) of sorted samples.
func rank(sorted []int64, permille int) int64 {
	k := (len(sorted)*permille + 999) / 1000
	if k < 1 {
		k = 1
	}
	return sorted[k-1]
}

func (r Result) String() string {
	if r.Err != "" {
		return fmt.Sprintf("%s/%s: %s", r.Name, r.Impl, r.Err)
	}
	return fmt.Sprintf("%s/%s: n=%d p50=%v p99=%v max=%v lost=%d", r.Name, r.Impl, r.N,
		time.Duration(r.P50), time.Duration(r.P99), time.Duration(r.Max), r.Lost)
}

// Delays is the kick-delay sequence shared with the C reference: xorshift64*
// from seed, each value mod 100 µs.
type Delays struct{ state uint64 }

// NewDelays starts the sequence (seed must not be 0).
func NewDelays(seed uint64) *Delays { return &Delays{state: seed} }

// Next is the next delay.
func (d *Delays) Next() time.Duration {
	x := d.state
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	d.state = x
	return time.Duration((x*0x2545F4914F6CDD1D)%100) * time.Microsecond
}

// Config sizes the measurements. Zero fields take the defaults.
type Config struct {
	N      int    // KVM_RUNs per round-trip measurement (default 10000)
	Kicks  int    // kicks per kick measurement (default 2000)
	Warmup int    // round trips run first and discarded (default 100; kicks: Warmup/10)
	Seed   uint64 // first state of the kick delays (default 460)
}

// Check rejects sizes a run cannot use, naming the command-line flag
// (-n, -kicks, -warmup, -seed) that both benchmark commands give them.
func (c Config) Check() error {
	switch {
	case c.N < 1:
		return fmt.Errorf("-n %d: must be at least 1", c.N)
	case c.Kicks < 1:
		return fmt.Errorf("-kicks %d: must be at least 1", c.Kicks)
	case c.Warmup < 0:
		return fmt.Errorf("-warmup %d: must not be negative", c.Warmup)
	case c.Seed == 0:
		return fmt.Errorf("-seed 0: the xorshift sequence needs a non-zero seed")
	}
	return nil
}

// WithDefaults fills in the zero fields.
func (c Config) WithDefaults() Config {
	if c.N <= 0 {
		c.N = 10000
	}
	if c.Kicks <= 0 {
		c.Kicks = 2000
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	} else if c.Warmup == 0 {
		c.Warmup = 100
	}
	if c.Seed == 0 {
		c.Seed = 460
	}
	return c
}
