package mpstate_test

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
	return fmt.Sprintf("%d", s)
}

// sentinel pre-fills struct kvm_mp_state so an ioctl that does not write it
// is visible.
const sentinel = 0xdeadbeef
