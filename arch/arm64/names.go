package arm64

import (
	"fmt"
	"strconv"
	"strings"
)

// coreReg is one core register of struct kvm_regs as the register names
// address it.
type coreReg struct {
	kind regKind
	n    int // x register number for regX
}

type regKind uint8

const (
	regX regKind = iota
	regSP
	regPC
	regPSTATE
)

// lookupReg parses a register name: "x0".."x30", "w0".."w30" (the same
// register), "fp" (x29), "lr" (x30), "sp", "pc", "pstate". Case is ignored.
func lookupReg(name string) (coreReg, error) {
	s := strings.ToLower(name)
	switch s {
	case "sp":
		return coreReg{kind: regSP}, nil
	case "pc":
		return coreReg{kind: regPC}, nil
	case "pstate":
		return coreReg{kind: regPSTATE}, nil
	case "fp":
		return coreReg{kind: regX, n: 29}, nil
	case "lr":
		return coreReg{kind: regX, n: 30}, nil
	}
	if len(s) >= 2 && (s[0] == 'x' || s[0] == 'w') {
		if n, err := strconv.Atoi(s[1:]); err == nil && n >= 0 && n <= 30 && s[1:] == strconv.Itoa(n) {
			return coreReg{kind: regX, n: n}, nil
		}
	}
	return coreReg{}, fmt.Errorf("arm64 has no core register %q", name)
}

// String is the canonical name.
func (r coreReg) String() string {
	switch r.kind {
	case regSP:
		return "sp"
	case regPC:
		return "pc"
	case regPSTATE:
		return "pstate"
	}
	return "x" + strconv.Itoa(r.n)
}

// dumpOrder is the order Dump prints registers in.
func dumpOrder() []coreReg {
	regs := []coreReg{{kind: regPC}, {kind: regPSTATE}, {kind: regSP}}
	for n := 0; n <= 30; n++ {
		regs = append(regs, coreReg{kind: regX, n: n})
	}
	return regs
}
