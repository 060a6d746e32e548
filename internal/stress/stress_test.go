package stress

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Budget{
		"":      Full,
		"full":  Full,
		" full": Full,
		"3s":    {Cap: 3 * time.Second},
		"500ms": {Cap: 500 * time.Millisecond},
		"1m":    {Cap: time.Minute},
		"1h":    {Cap: time.Hour},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
		// String reads back.
		if back, err := Parse(got.String()); err != nil || back != got {
			t.Errorf("Parse(%q.String() = %q) = %v, %v", in, got.String(), back, err)
		}
	}
	for _, in := range []string{"quick", "3", "0s", "-1s", "2h", "full depth"} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), `want "full"`) {
			t.Errorf("Parse(%q): err = %v", in, err)
		}
	}
}

func TestCapFor(t *testing.T) {
	if got := Full.CapFor(10 * time.Second); got != 10*time.Second {
		t.Errorf("full: %v", got)
	}
	if got := Full.CapFor(0); got != 0 {
		t.Errorf("full, no native cap: %v", got)
	}
	b := Budget{Cap: 3 * time.Second}
	if got := b.CapFor(10 * time.Second); got != 3*time.Second {
		t.Errorf("3s budget on a 10s loop: %v", got)
	}
	if got := b.CapFor(0); got != 3*time.Second {
		t.Errorf("3s budget on a loop without a cap: %v", got)
	}
	if Full.String() != "full" || !Full.IsFull() || b.IsFull() || b.String() != "3s" {
		t.Errorf("String/IsFull: %q %q", Full, b)
	}
}
