package cref_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/bench/cref"
	"github.com/kvmconform/kvmconform/bench/report"
)

// TestCReferenceAgrees builds the C reference and checks that it draws the
// same kick delays and summarises samples exactly as the Go code does, in
// the JSON the Go code parses.
func TestCReferenceAgrees(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	ctx := context.Background()
	bin, _, err := cref.Build(ctx, "gcc", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, bin, "-selftest").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := bytes.Cut(out, []byte("\n"))
	var delays struct {
		US []int64 `json:"delays_us"`
	}
	if err := json.Unmarshal(first, &delays); err != nil {
		t.Fatalf("%q: %v", first, err)
	}
	d := report.NewDelays(460)
	for i, us := range delays.US {
		if got := d.Next(); got != time.Duration(us)*time.Microsecond {
			t.Errorf("delay %d: Go %v, C %dµs", i, got, us)
		}
	}
	res, err := cref.ParseResults(rest)
	if err != nil || len(res) != 1 {
		t.Fatalf("ParseResults = %v, %v", res, err)
	}
	samples := make([]int64, 200)
	for i := range samples {
		samples[i] = int64((i*7919)%200)*10 + 3
	}
	want := report.Summarize("selftest", "c", samples, 2)
	if res[0] != want {
		t.Errorf("C summary %+v, Go summary %+v", res[0], want)
	}
}
