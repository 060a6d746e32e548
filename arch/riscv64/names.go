package riscv64

import (
	"fmt"
	"strconv"
	"strings"
)

// abiNames are the RISC-V psABI names of x0..x31.
func abiNames() [32]string {
	return [32]string{
		"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
		"s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
		"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
		"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	}
}

// Core register indexes in struct kvm_riscv_core (in unsigned longs): pc at
// 0, x1..x31 at 1..31, mode at 32.
const (
	corePC   = 0
	coreMode = 32
)

// coreReg is a register of struct kvm_riscv_core, or x0.
type coreReg struct {
	index uint64 // index in struct kvm_riscv_core; unused for x0
	zero  bool   // x0, hardwired to zero, with no ONE_REG id
}

// lookupReg parses a register name: an ABI name, "fp" (s0), "x0".."x31",
// "pc" or "mode". Case is ignored.
func lookupReg(name string) (coreReg, error) {
	s := strings.ToLower(name)
	switch s {
	case "pc":
		return coreReg{index: corePC}, nil
	case "mode":
		return coreReg{index: coreMode}, nil
	case "fp":
		return coreReg{index: 8}, nil
	}
	n := -1
	if len(s) >= 2 && s[0] == 'x' {
		if v, err := strconv.Atoi(s[1:]); err == nil && v >= 0 && v <= 31 && s[1:] == strconv.Itoa(v) {
			n = v
		}
	}
	for i, abi := range abiNames() {
		if s == abi {
			n = i
		}
	}
	switch {
	case n == 0:
		return coreReg{zero: true}, nil
	case n > 0:
		return coreReg{index: uint64(n)}, nil
	}
	return coreReg{}, fmt.Errorf("riscv64 has no core register %q", name)
}

// String is the canonical name: the ABI name for x1..x31.
func (r coreReg) String() string {
	switch {
	case r.zero:
		return "zero"
	case r.index == corePC:
		return "pc"
	case r.index == coreMode:
		return "mode"
	case r.index < 32:
		return abiNames()[r.index]
	}
	return fmt.Sprintf("core[%d]", r.index)
}

// dumpOrder is the order Dump prints registers in: pc, mode, x1..x31.
func dumpOrder() []coreReg {
	regs := []coreReg{{index: corePC}, {index: coreMode}}
	for n := uint64(1); n < 32; n++ {
		regs = append(regs, coreReg{index: n})
	}
	return regs
}
