package loong64

import (
	"fmt"
	"strconv"
	"strings"
)

// reg is a register of struct kvm_regs: 0..31 are r0..r31.
type reg int

const regPC reg = 32

// abiNames are the LoongArch ELF psABI names of r0..r31 (r21 is reserved,
// "u0" in the kernel's naming).
func abiNames() [32]string {
	return [32]string{
		"zero", "ra", "tp", "sp", "a0", "a1", "a2", "a3",
		"a4", "a5", "a6", "a7", "t0", "t1", "t2", "t3",
		"t4", "t5", "t6", "t7", "t8", "u0", "fp", "s0",
		"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
	}
}

// lookupReg parses a register name: "r0".."r31", an ABI name ("s9" is
// "fp"), either with an optional "$", or "pc". Case is ignored.
func lookupReg(name string) (reg, error) {
	s := strings.TrimPrefix(strings.ToLower(name), "$")
	switch s {
	case "pc":
		return regPC, nil
	case "s9":
		return 22, nil
	}
	if len(s) >= 2 && s[0] == 'r' {
		if n, err := strconv.Atoi(s[1:]); err == nil && n >= 0 && n <= 31 && s[1:] == strconv.Itoa(n) {
			return reg(n), nil
		}
	}
	for i, abi := range abiNames() {
		if s == abi {
			return reg(i), nil
		}
	}
	return 0, fmt.Errorf("loong64 has no register %q in struct kvm_regs", name)
}

// String is the register's ABI name.
func (r reg) String() string {
	if r == regPC {
		return "pc"
	}
	if r >= 0 && r < 32 {
		return abiNames()[r]
	}
	return fmt.Sprintf("reg(%d)", int(r))
}

// dumpOrder is the order Dump prints registers in.
func dumpOrder() []reg {
	regs := []reg{regPC}
	for n := reg(1); n < 32; n++ {
		regs = append(regs, n)
	}
	return regs
}
