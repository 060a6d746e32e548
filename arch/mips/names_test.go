package mips

import (
	"strconv"
	"testing"
)

func TestLookupReg(t *testing.T) {
	cases := map[string]reg{
		"$0": 0, "zero": 0, "$zero": 0, "at": 1, "v0": 2, "$v1": 3,
		"a0": 4, "a7": 11, "t0": 12, "t3": 15, "s0": 16, "s7": 23,
		"t8": 24, "t9": 25, "k0": 26, "k1": 27, "gp": 28, "$sp": 29, "sp": 29,
		"fp": 30, "s8": 30, "$s8": 30, "ra": 31, "$31": 31, "RA": 31,
		"pc": regPC, "hi": regHI, "lo": regLO,
	}
	for name, want := range cases {
		got, err := lookupReg(name)
		if err != nil || got != want {
			t.Errorf("lookupReg(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"$32", "$01", "$", "0", "31", "r1", "t4", "a8", "s9", "$pc", ""} {
		if r, err := lookupReg(bad); err == nil {
			t.Errorf("lookupReg(%q) = %v, want an error", bad, r)
		}
	}
}

func TestNumbersAndNamesAgree(t *testing.T) {
	for n := 0; n < 32; n++ {
		byNum, err := lookupReg("$" + strconv.Itoa(n))
		if err != nil || byNum != reg(n) {
			t.Errorf("$%d: %v, %v", n, byNum, err)
		}
		byName, err := lookupReg(reg(n).String())
		if err != nil || byName != reg(n) {
			t.Errorf("%s: %v, %v", reg(n), byName, err)
		}
	}
	if len(dumpOrder()) != 34 {
		t.Errorf("dumpOrder has %d registers, want 34", len(dumpOrder()))
	}
}
