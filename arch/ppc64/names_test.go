package ppc64

import (
	"strconv"
	"testing"
)

func TestLookupReg(t *testing.T) {
	cases := map[string]reg{
		"r0": 0, "R3": 3, "r31": 31,
		"pc": regPC, "msr": regMSR, "lr": regLR, "ctr": regCTR,
		"cr": regCR, "xer": regXER, "srr0": regSRR0, "srr1": regSRR1,
	}
	for name, want := range cases {
		got, err := lookupReg(name)
		if err != nil || got != want {
			t.Errorf("lookupReg(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"r32", "r01", "r", "x0", "sp", "nip", "pid", ""} {
		if r, err := lookupReg(bad); err == nil {
			t.Errorf("lookupReg(%q) = %v, want an error", bad, r)
		}
	}
}

func TestRegNamesRoundTrip(t *testing.T) {
	regs := dumpOrder()
	if len(regs) != 40 {
		t.Fatalf("dumpOrder has %d registers, want 40", len(regs))
	}
	for _, r := range regs {
		back, err := lookupReg(r.String())
		if err != nil || back != r {
			t.Errorf("%v: lookupReg(%q) = %v, %v", int(r), r.String(), back, err)
		}
	}
	for n := 0; n < 32; n++ {
		if reg(n).String() != "r"+strconv.Itoa(n) {
			t.Errorf("reg(%d) = %q", n, reg(n).String())
		}
	}
}

// kernel-semantics.md §4.6 / qemu-nested.md: the verified entry MSR.
func TestEntryMSR(t *testing.T) {
	if got := EntryMSR(true); got != 0x8000000000001003 {
		t.Errorf("EntryMSR(LE) = %#x, want 0x8000000000001003 (SF|ME|RI|LE)", got)
	}
	if got := EntryMSR(false); got != 0x8000000000001002 {
		t.Errorf("EntryMSR(BE) = %#x, want 0x8000000000001002 (SF|ME|RI)", got)
	}
	if !GuestLittleEndian || EntryMSR(GuestLittleEndian) != 0x8000000000001003 {
		t.Error("SetEntry must give the little-endian MSR the guest images need, on every host")
	}
	if EntryMSR(true)&(MSR_IR|MSR_DR) != 0 {
		t.Error("entry MSR enables relocation; the guests run in real mode")
	}
}
