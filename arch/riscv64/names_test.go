package riscv64

import (
	"strconv"
	"testing"
)

func TestLookupReg(t *testing.T) {
	cases := map[string]coreReg{
		"pc": {index: 0}, "mode": {index: 32},
		"zero": {zero: true}, "x0": {zero: true},
		"ra": {index: 1}, "x1": {index: 1},
		"sp": {index: 2}, "gp": {index: 3}, "tp": {index: 4},
		"t0": {index: 5}, "t2": {index: 7},
		"s0": {index: 8}, "fp": {index: 8}, "s1": {index: 9},
		"a0": {index: 10}, "A0": {index: 10}, "x10": {index: 10}, "a7": {index: 17},
		"s2": {index: 18}, "s11": {index: 27},
		"t3": {index: 28}, "t6": {index: 31}, "x31": {index: 31},
	}
	for name, want := range cases {
		got, err := lookupReg(name)
		if err != nil || got != want {
			t.Errorf("lookupReg(%q) = %+v, %v; want %+v", name, got, err, want)
		}
	}
	for _, bad := range []string{"x32", "x01", "a8", "t7", "s12", "r1", "", "x"} {
		if r, err := lookupReg(bad); err == nil {
			t.Errorf("lookupReg(%q) = %+v, want an error", bad, r)
		}
	}
}

// Every x<n> and its ABI name are the same register.
func TestABINamesMatchNumbers(t *testing.T) {
	names := abiNames()
	for n := 1; n < 32; n++ {
		byABI, err1 := lookupReg(names[n])
		byNum, err2 := lookupReg("x" + strconv.Itoa(n))
		if err1 != nil || err2 != nil || byABI != byNum || byABI.index != uint64(n) {
			t.Errorf("x%d / %s: %+v %v, %+v %v", n, names[n], byABI, err1, byNum, err2)
		}
		if byABI.String() != names[n] {
			t.Errorf("x%d String() = %q, want %q", n, byABI.String(), names[n])
		}
	}
	if len(dumpOrder()) != 33 {
		t.Errorf("dumpOrder has %d registers, want 33 (pc, mode, x1..x31)", len(dumpOrder()))
	}
}
