package s390x

import (
	"fmt"
	"strconv"
	"strings"
)

// reg is r0..r15 (0..15) or a PSW half.
type reg int

const (
	regPSWAddr reg = 16 + iota
	regPSWMask
)

// lookupReg parses a register name: "r0".."r15", "pc" or "psw_addr",
// "psw_mask". Case is ignored.
func lookupReg(name string) (reg, error) {
	s := strings.ToLower(name)
	switch s {
	case "pc", "psw_addr":
		return regPSWAddr, nil
	case "psw_mask":
		return regPSWMask, nil
	}
	if len(s) >= 2 && s[0] == 'r' {
		if n, err := strconv.Atoi(s[1:]); err == nil && n >= 0 && n <= 15 && s[1:] == strconv.Itoa(n) {
			return reg(n), nil
		}
	}
	return 0, fmt.Errorf("s390x has no register %q (general registers r0..r15, pc, psw_mask)", name)
}

// String is the register's name.
func (r reg) String() string {
	switch r {
	case regPSWAddr:
		return "psw_addr"
	case regPSWMask:
		return "psw_mask"
	}
	return "r" + strconv.Itoa(int(r))
}
