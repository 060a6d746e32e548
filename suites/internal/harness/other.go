//go:build !amd64

package harness

import . "github.com/onsi/ginkgo/v2"

// EnableMapGPARangeExit is x86's (x86.go): KVM_CAP_EXIT_HYPERCALL forwards
// KVM_HC_MAP_GPA_RANGE only there. The arch-neutral specs call it for x86
// alone; a call elsewhere fails the spec.
func (m *Machine) EnableMapGPARangeExit() {
	GinkgoHelper()
	Fail("KVM_HC_MAP_GPA_RANGE exits are x86's (KVM_CAP_EXIT_HYPERCALL)")
}
