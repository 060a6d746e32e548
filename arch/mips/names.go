package mips

import (
	"fmt"
	"strconv"
	"strings"
)

// reg is a register of struct kvm_regs: 0..31 are $0..$31.
type reg int

const (
	regHI reg = 32 + iota
	regLO
	regPC
)

// abiNames are the n64 ABI names of $0..$31.
func abiNames() [32]string {
	return [32]string{
		"zero", "at", "v0", "v1", "a0", "a1", "a2", "a3",
		"a4", "a5", "a6", "a7", "t0", "t1", "t2", "t3",
		"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7",
		"t8", "t9", "k0", "k1", "gp", "sp", "fp", "ra",
	}
}

// lookupReg parses a register name: "$0".."$31", an ABI name with or
// without "$" ("s8" is "fp"), "pc", "hi" or "lo". Case is ignored.
func lookupReg(name string) (reg, error) {
	s := strings.ToLower(name)
	switch s {
	case "pc":
		return regPC, nil
	case "hi":
		return regHI, nil
	case "lo":
		return regLO, nil
	}
	bare := strings.TrimPrefix(s, "$")
	if bare != s && bare != "" {
		if n, err := strconv.Atoi(bare); err == nil && n >= 0 && n <= 31 && bare == strconv.Itoa(n) {
			return reg(n), nil
		}
	}
	if bare == "s8" {
		return 30, nil
	}
	for i, abi := range abiNames() {
		if bare == abi {
			return reg(i), nil
		}
	}
	return 0, fmt.Errorf("mips has no register %q in struct kvm_regs", name)
}

// String is the register's ABI name.
func (r reg) String() string {
	switch r {
	case regHI:
		return "hi"
	case regLO:
		return "lo"
	case regPC:
		return "pc"
	}
	if r >= 0 && r < 32 {
		return abiNames()[r]
	}
	return fmt.Sprintf("reg(%d)", int(r))
}

// dumpOrder is the order Dump prints registers in.
func dumpOrder() []reg {
	regs := []reg{regPC, regHI, regLO}
	for n := reg(1); n < 32; n++ {
		regs = append(regs, n)
	}
	return regs
}
