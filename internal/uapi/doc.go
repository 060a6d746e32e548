// Package uapi is the part of the Linux KVM ABI (<linux/kvm.h>) that has the
// same names on every architecture: ioctl request numbers, capability and
// exit-reason numbers, mp_state values, struct kvm_run field offsets and the
// small structs of the generic ioctls. The values differ per GOARCH (mips and
// powerpc encode ioctls differently; s390x's kvm_run exit union sits 16 bytes
// later) and are generated per GOARCH into zuapi_linux_<goarch>.go by
// tools/genabi from pinned kernel headers. Do not edit those files.
//
// Exit reasons and mp_states are typed (ExitReason, MPState), with String
// methods that stringer generates into exitreason_string.go and
// mpstate_string.go (types.go has the go:generate lines).
package uapi

// genabi rewrites every zuapi_linux_<goarch>.go of the module, this
// package's and arch/*'s (it needs clang-19; see tools/genabi); the
// stringer lines in types.go then run on its output.
//go:generate go run ../../tools/genabi -root ../..
