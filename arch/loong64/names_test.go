package loong64

import (
	"strconv"
	"testing"
)

func TestLookupReg(t *testing.T) {
	cases := map[string]reg{
		"r0": 0, "$r0": 0, "zero": 0, "$zero": 0, "ra": 1, "tp": 2, "sp": 3, "$sp": 3,
		"a0": 4, "a7": 11, "t0": 12, "t8": 20, "u0": 21, "r21": 21,
		"fp": 22, "s9": 22, "$s9": 22, "s0": 23, "s8": 31, "R31": 31, "pc": regPC,
	}
	for name, want := range cases {
		got, err := lookupReg(name)
		if err != nil || got != want {
			t.Errorf("lookupReg(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"r32", "r01", "$", "x0", "t9", "a8", "s10", "v0", ""} {
		if r, err := lookupReg(bad); err == nil {
			t.Errorf("lookupReg(%q) = %v, want an error", bad, r)
		}
	}
}

func TestNumbersAndNamesAgree(t *testing.T) {
	for n := 0; n < 32; n++ {
		byNum, err := lookupReg("r" + strconv.Itoa(n))
		if err != nil || byNum != reg(n) {
			t.Errorf("r%d: %v, %v", n, byNum, err)
		}
		byName, err := lookupReg(reg(n).String())
		if err != nil || byName != reg(n) {
			t.Errorf("%s: %v, %v", reg(n), byName, err)
		}
	}
	if len(dumpOrder()) != 32 {
		t.Errorf("dumpOrder has %d registers, want 32 (pc, r1..r31)", len(dumpOrder()))
	}
}
