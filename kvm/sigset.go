package kvm

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// KernelSigsetSize is the size of the kernel's sigset_t, which
// KVM_SET_SIGNAL_MASK requires as its len (kvm_main.c, KVM_SET_SIGNAL_MASK:
// `if (kvm_sigmask.len != sizeof(sigset_t)) goto out` with -EINVAL). It is
// _NSIG/8: 8 bytes everywhere except MIPS, whose _NSIG is 128
// (arch/mips/include/uapi/asm/signal.h). It is not unix.Sigset_t's size (the
// 1024-bit glibc type), and the uapi headers cannot say it either: x86's
// userspace asm/signal.h still defines the legacy NSIG 32.
const KernelSigsetSize = kernelNSIG / 8

// KickSignal is the signal Kick sends with tgkill. SIGUSR1 is avoided because
// Ginkgo prints a progress report when it receives SIGUSR1. Without
// os/signal.Notify the Go runtime drops a thread-directed SIGUSR2, so a kick
// that lands outside KVM_RUN is harmless: immediate_exit does its job.
const KickSignal = unix.SIGUSR2

// Sigset builds a kernel sigset (KernelSigsetSize bytes): signal n is bit
// n-1 of an array of native-endian unsigned longs.
func Sigset(sigs ...unix.Signal) []byte {
	b := make([]byte, KernelSigsetSize)
	words := make([]uint64, KernelSigsetSize/8)
	for _, s := range sigs {
		n := int(s) - 1
		if n < 0 || n >= kernelNSIG {
			continue
		}
		words[n/64] |= 1 << (n % 64)
	}
	for i, w := range words {
		binary.NativeEndian.PutUint64(b[i*8:], w)
	}
	return b
}

// SigsetHas reports whether signal s is set in a kernel sigset.
func SigsetHas(set []byte, s unix.Signal) bool {
	n := int(s) - 1
	if n < 0 || n/8 >= len(set) {
		return false
	}
	w := binary.NativeEndian.Uint64(set[(n/64)*8:])
	return w&(1<<(n%64)) != 0
}

// AllSignalsExcept lists every signal 1.._NSIG except the given ones.
func AllSignalsExcept(keep ...unix.Signal) []unix.Signal {
	var out []unix.Signal
next:
	for s := unix.Signal(1); int(s) <= kernelNSIG; s++ {
		for _, k := range keep {
			if s == k {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// DefaultSignalMask is the KVM signal mask every new vCPU gets: everything
// blocked except KickSignal. Inside KVM_RUN only a kick can then interrupt the
// guest; the Go runtime's own signals (SIGURG for preemption, SIGPROF) stay
// pending until KVM_RUN returns instead of causing a spurious KVM_EXIT_INTR
// (kernel-semantics.md §6.2). Specs that test signal masks set their own.
func DefaultSignalMask() []unix.Signal { return AllSignalsExcept(KickSignal) }
