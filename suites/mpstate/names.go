package mpstate

import "fmt"

// mpNames are the KVM_MP_STATE_* names for failure messages.
var mpNames = map[uint32]string{
	0: "RUNNABLE", 1: "UNINITIALIZED", 2: "INIT_RECEIVED", 3: "HALTED", 4: "SIPI_RECEIVED",
	5: "STOPPED", 6: "CHECK_STOP", 7: "OPERATING", 8: "LOAD", 9: "AP_RESET_HOLD", 10: "SUSPENDED",
}

func mpName(s uint32) string {
	if n, ok := mpNames[s]; ok {
		return fmt.Sprintf("%d (%s)", s, n)
	}
	return fmt.Sprintf("%#x (undefined)", s)
}

// sentinel pre-fills struct kvm_mp_state so an ioctl that does not write it
// is visible.
const sentinel = 0xdeadbeef

// undefinedMPStates are KVM_SET_MP_STATE values past the end of the uapi
// enum (KVM_MP_STATE_SUSPENDED = 10 is the last, 5.19): the first unused
// one, a small one, a high-bit one and all ones, which every architecture
// rejects.
var undefinedMPStates = []uint32{11, 99, 0x80000000, 0xffffffff}
