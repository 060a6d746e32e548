package s390x

import "testing"

func TestLookupReg(t *testing.T) {
	cases := map[string]reg{"r0": 0, "R1": 1, "r15": 15, "pc": regPSWAddr, "psw_addr": regPSWAddr, "psw_mask": regPSWMask}
	for name, want := range cases {
		got, err := lookupReg(name)
		if err != nil || got != want {
			t.Errorf("lookupReg(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"r16", "r01", "x0", "%r1", "sp", ""} {
		if r, err := lookupReg(bad); err == nil {
			t.Errorf("lookupReg(%q) = %v, want an error", bad, r)
		}
	}
	for n := reg(0); n < 16; n++ {
		if back, err := lookupReg(n.String()); err != nil || back != n {
			t.Errorf("round trip of %v: %v, %v", n, back, err)
		}
	}
}

func TestEntryPSWMask(t *testing.T) {
	if EntryPSWMask != 0x0000000180000000 {
		t.Errorf("EntryPSWMask = %#x, want 0x0000000180000000 (EA|BA)", uint64(EntryPSWMask))
	}
	if EntryPSWMask&(PSW_MASK_DAT|PSW_MASK_WAIT|PSW_MASK_PSTATE|PSW_MASK_IO|PSW_MASK_EXT|PSW_MASK_MCHECK) != 0 {
		t.Error("entry PSW enables DAT, wait, problem state or interruptions")
	}
}
