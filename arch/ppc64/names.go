package ppc64

import (
	"fmt"
	"strconv"
	"strings"
)

// reg is a register of struct kvm_regs: 0..31 are r0..r31.
type reg int

const (
	regPC reg = 32 + iota
	regMSR
	regLR
	regCTR
	regCR
	regXER
	regSRR0
	regSRR1
)

// specialNames are the names of the registers after the GPRs, in reg order.
func specialNames() []string {
	return []string{"pc", "msr", "lr", "ctr", "cr", "xer", "srr0", "srr1"}
}

// lookupReg parses a register name: "r0".."r31" or a special register name.
// Case is ignored.
func lookupReg(name string) (reg, error) {
	s := strings.ToLower(name)
	for i, n := range specialNames() {
		if s == n {
			return regPC + reg(i), nil
		}
	}
	if len(s) >= 2 && s[0] == 'r' {
		if n, err := strconv.Atoi(s[1:]); err == nil && n >= 0 && n <= 31 && s[1:] == strconv.Itoa(n) {
			return reg(n), nil
		}
	}
	return 0, fmt.Errorf("ppc64 has no register %q in struct kvm_regs", name)
}

// String is the register's name.
func (r reg) String() string {
	if r >= 0 && r < 32 {
		return "r" + strconv.Itoa(int(r))
	}
	if i := int(r - regPC); i >= 0 && i < len(specialNames()) {
		return specialNames()[i]
	}
	return fmt.Sprintf("reg(%d)", int(r))
}

// dumpOrder is the order Dump prints registers in.
func dumpOrder() []reg {
	regs := []reg{regPC, regMSR, regLR, regCTR, regCR, regXER, regSRR0, regSRR1}
	for n := reg(0); n < 32; n++ {
		regs = append(regs, n)
	}
	return regs
}
