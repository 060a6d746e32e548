package results

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func TestKnownFailures(t *testing.T) {
	known, err := ParseKnownFailures([]byte(`[
		{"Arch": "riscv64", "Kernel": "debian:*", "Spec": "mmio-load-lb:", "Kind": "kernel bug", "Reason": "zero-extends"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	it := func(text string, state types.SpecState) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: state}
	}
	reports := []types.Report{{SuiteSucceeded: false, SpecReports: []types.SpecReport{
		it("completes mmio-load-lb: 1-byte load", types.SpecStateFailed),
		it("completes mmio-load-lbu: 1-byte load", types.SpecStateFailed),
		it("passes", types.SpecStatePassed),
	}}}
	c, found := CountKnown(reports, "riscv64", "debian:trixie", known)
	if c.Failed != 1 || c.Known != 1 || c.Passed != 1 || len(found) != 1 {
		t.Fatalf("counts %+v, findings %v", c, found)
	}
	c, _ = CountKnown(reports, "arm64", "debian:trixie", known)
	if c.Failed != 2 || c.Known != 0 {
		t.Fatalf("another arch must not match: %+v", c)
	}
	if _, err := ParseKnownFailures([]byte(`[{"Arch": "x", "Spec": "(", "Kind": "k", "Reason": "r"}]`)); err == nil {
		t.Fatal("a bad regular expression was accepted")
	}
	if _, err := ParseKnownFailures([]byte(`[{"Arch": "x", "Spec": "s"}]`)); err == nil {
		t.Fatal("an entry without a reason was accepted")
	}
}

// The committed list must parse.
func TestCommittedKnownFailures(t *testing.T) {
	if _, err := LoadKnownFailures("../../known-failures.json"); err != nil {
		t.Fatal(err)
	}
}
