// Package planted holds planted-fault tests: a suite built with a fault
// planted on purpose (through a go build overlay, so that no shipped build
// carries it) and run, natively or in a QEMU guest with nested KVM, to
// check that the spec the fault breaks fails and says what it saw. The
// package has no code of its own; see its tests.
package planted
