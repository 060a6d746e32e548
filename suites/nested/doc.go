// Package nested is the conformance area for nested virtualisation as
// userspace meets it: the guest is an L1 hypervisor (guests/src/x86/nested.inc,
// nested-svm.S) that runs an L2 loop, and the specs check what L1 sees of
// L2 when KVM has an event for L1 (the immediate exit KVM forces after a
// nested entry, nVMX's KVM_REQ_IMMEDIATE_EXIT of d6185f20a0ef and its
// descendants), what KVM_RUN returns to userspace while L2 runs, and that
// KVM_GET_NESTED_STATE / KVM_SET_NESTED_STATE round-trip a running L2.
//
// The specs are package-level Describes in ordinary files, so that the area
// can be linked into one binary with the others; nested_suite_test.go runs
// them alone (go tool ginkgo ./suites/nested). They are x86 only, and need
// nested SVM: kvm_amd with nested=1 (QEMU x86_64 with +svm, as ci/ runs
// it). Where the host has no nested SVM they skip and say why (no SVM in
// KVM_GET_SUPPORTED_CPUID, KVM_CAP_NESTED_STATE = 0, kvm_pvm, kvm_amd
// nested=0); on Intel they skip because no VMX L1 is written yet (there is
// no VMX host or VMX emulation here to run one on).
package nested

import (
	"github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// Area is this package as a suite (harness.Area): its specs are the
// package-level Describes of its files.
var Area = harness.Area{Name: "nested", Description: "kvmconform: nested virtualisation (an L1 hypervisor guest)", Labels: ginkgo.Label("nested")}

// guestPatches are RAM words of the guest image (by symbol) written over the
// image before the first KVM_RUN. Empty in every build of the suites: only
// the planted-fault test (internal/planted) sets it, through a go build
// overlay that adds a file to this package, to break L1 on purpose (no INTR
// intercept, no EVENTINJ) and check that the matching spec fails saying what
// L1 saw.
var guestPatches = map[string]uint32{}
