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
	// Round numbers a per-round result (1, 2, ...; Report.Rounds); 0 in
	// a combined or single-round result.
	Round int `json:"round,omitempty"`
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
	// Rounds splits every measurement into this many interleaved rounds
	// (default 1): each round runs every implementation once with
	// N/Rounds KVM_RUNs and Kicks/Rounds kicks, and Combine takes the
	// median round. On a shared, noisy host a slow period then slows one
	// round of every implementation, not one implementation's whole run.
	Rounds int
	// CPU is the CPU the vCPU thread is pinned to in every implementation
	// (the kicker threads get the others), or -1: wherever the scheduler
	// puts them. Unpinned, a vCPU thread that moves between CPUs reloads
	// KVM's per-CPU state (on kvm_pvm, immediate-exit round trips came in
	// two modes, 4.4 and 6.5 µs, by placement alone).
	CPU int
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
	case c.CPU < -1:
		return fmt.Errorf("-cpu %d: a CPU number, or -1 for no pinning", c.CPU)
	case c.Rounds < 0:
		return fmt.Errorf("-rounds %d: must not be negative", c.Rounds)
	case c.Rounds > c.N || c.Rounds > c.Kicks:
		return fmt.Errorf("-rounds %d: more rounds than KVM_RUNs (-n %d) or kicks (-kicks %d)", c.Rounds, c.N, c.Kicks)
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
	if c.Rounds <= 0 {
		c.Rounds = 1
	}
	return c
}

// Round is the configuration of one of c's rounds: N and Kicks divided
// among the rounds (the first rounds take the remainder), the same warmup
// and kick-delay sequence in each.
func (c Config) Round(i int) Config {
	c = c.WithDefaults()
	share := func(total int) int {
		n := total / c.Rounds
		if i < total%c.Rounds {
			n++
		}
		return n
	}
	c.N, c.Kicks, c.Rounds = share(c.N), share(c.Kicks), 1
	return c
}

// Combine merges the rounds of one measurement of one implementation:
// p50 and p99 are the medians of the rounds' p50 and p99 (the typical
// round), min and max the extremes, N, Lost and the mean over all
// samples. A round that failed makes the whole result fail.
func Combine(rounds []Result) Result {
	if len(rounds) == 0 {
		return Result{Err: "no rounds"}
	}
	if len(rounds) == 1 {
		r := rounds[0]
		r.Round = 0
		return r
	}
	r := Result{Name: rounds[0].Name, Impl: rounds[0].Impl, Min: rounds[0].Min}
	var p50s, p99s []int64
	var sum float64
	for i, x := range rounds {
		if x.Err != "" {
			return Result{Name: r.Name, Impl: r.Impl, Err: fmt.Sprintf("round %d of %d: %s", i+1, len(rounds), x.Err)}
		}
		r.N += x.N
		r.Lost += x.Lost
		r.Min = min(r.Min, x.Min)
		r.Max = max(r.Max, x.Max)
		sum += x.Mean * float64(x.N)
		p50s, p99s = append(p50s, x.P50), append(p99s, x.P99)
	}
	if r.N > 0 {
		r.Mean = sum / float64(r.N)
	}
	r.P50, r.P99 = median(p50s), median(p99s)
	return r
}

// median is the lower median of xs (it sorts xs).
func median[T int64 | float64](xs []T) T {
	slices.Sort(xs)
	return xs[(len(xs)-1)/2]
}

// PairedRatio is x's metric (P50 or P99 of a Result) as a ratio to c's,
// taken round by round (the rounds that both have, by Round) and then the
// median of those ratios: a slow period of the host, which slows every
// implementation of that round, cancels out. Without common rounds it is
// the ratio of the combined results. ok is false when c's value is 0.
func PairedRatio(rounds []Result, x, c Result, metric func(Result) int64) (ratio float64, ok bool) {
	byRound := map[int]Result{}
	for _, r := range rounds {
		if r.Name == c.Name && r.Impl == c.Impl && r.Err == "" {
			byRound[r.Round] = r
		}
	}
	var ratios []float64
	for _, r := range rounds {
		if r.Name != x.Name || r.Impl != x.Impl || r.Err != "" {
			continue
		}
		if cr, found := byRound[r.Round]; found && metric(cr) > 0 {
			ratios = append(ratios, float64(metric(r))/float64(metric(cr)))
		}
	}
	if len(ratios) > 0 {
		return median(ratios), true
	}
	if metric(c) <= 0 {
		return 0, false
	}
	return float64(metric(x)) / float64(metric(c)), true
}
