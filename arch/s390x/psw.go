package s390x

// PSW mask bits (z/Architecture Principles of Operation, bit 0 being the most
// significant of the 64-bit mask); the kernel's PSW_MASK_* are no longer in
// the uapi headers.
const (
	PSW_MASK_DAT    = 1 << 58 // bit 5: dynamic address translation
	PSW_MASK_IO     = 1 << 57 // bit 6: I/O interruptions
	PSW_MASK_EXT    = 1 << 56 // bit 7: external interruptions
	PSW_MASK_MCHECK = 1 << 50 // bit 13: machine checks
	PSW_MASK_WAIT   = 1 << 49 // bit 14: wait state
	PSW_MASK_PSTATE = 1 << 48 // bit 15: problem (user) state
	PSW_MASK_EA     = 1 << 32 // bit 31: extended addressing
	PSW_MASK_BA     = 1 << 31 // bit 32: basic addressing
)

// EntryPSWMask is the psw_mask SetEntry gives: 64-bit addressing (EA|BA),
// supervisor state, DAT off, no interruptions, not waiting.
const EntryPSWMask = PSW_MASK_EA | PSW_MASK_BA
