package arm64

import "testing"

func TestLookupReg(t *testing.T) {
	cases := []struct {
		name string
		want coreReg
	}{
		{"x0", coreReg{kind: regX, n: 0}},
		{"X7", coreReg{kind: regX, n: 7}},
		{"x30", coreReg{kind: regX, n: 30}},
		{"w0", coreReg{kind: regX, n: 0}},
		{"w30", coreReg{kind: regX, n: 30}},
		{"fp", coreReg{kind: regX, n: 29}},
		{"lr", coreReg{kind: regX, n: 30}},
		{"sp", coreReg{kind: regSP}},
		{"pc", coreReg{kind: regPC}},
		{"pstate", coreReg{kind: regPSTATE}},
	}
	for _, c := range cases {
		got, err := lookupReg(c.name)
		if err != nil || got != c.want {
			t.Errorf("lookupReg(%q) = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"x31", "w31", "x-1", "x", "x01", "xzr", "r0", "rip", "", "x1a"} {
		if r, err := lookupReg(bad); err == nil {
			t.Errorf("lookupReg(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestRegNamesRoundTrip(t *testing.T) {
	regs := dumpOrder()
	if len(regs) != 34 {
		t.Fatalf("dumpOrder has %d registers, want 34", len(regs))
	}
	seen := map[string]bool{}
	for _, r := range regs {
		name := r.String()
		if seen[name] {
			t.Errorf("%s twice in dumpOrder", name)
		}
		seen[name] = true
		back, err := lookupReg(name)
		if err != nil || back != r {
			t.Errorf("lookupReg(%q) = %+v, %v; want %+v", name, back, err, r)
		}
	}
}
