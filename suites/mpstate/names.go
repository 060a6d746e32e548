package mpstate

import (
	"fmt"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// mpName renders an mp_state for a failure message: "3 (HALTED)", or
// "0xdeadbeef (undefined)" for a value the uapi does not define.
func mpName(s uapi.MPState) string {
	if s.Defined() {
		return fmt.Sprintf("%d (%s)", s, s)
	}
	return fmt.Sprintf("%#x (undefined)", uint32(s))
}

// sentinel pre-fills struct kvm_mp_state so an ioctl that does not write it
// is visible.
const sentinel = 0xdeadbeef

// undefinedMPStates are KVM_SET_MP_STATE values past the end of the uapi
// enum (KVM_MP_STATE_SUSPENDED = 10 is the last, 5.19): the first unused
// one, a small one, a high-bit one and all ones, which every architecture
// rejects.
var undefinedMPStates = []uapi.MPState{uapi.KVM_MP_STATE_SUSPENDED + 1, 99, 0x80000000, 0xffffffff}
