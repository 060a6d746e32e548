//go:build !amd64

package nested

import "github.com/kvmconform/kvmconform/suites/internal/harness"

// The L1 hypervisor guests are x86 (nested-svm): elsewhere every spec
// skips with the architecture as the reason.

func specImmediateExitAtVMRUN()  { harness.RequireArch("x86") }
func specInterruptWhileL2Spins() { harness.RequireArch("x86") }
func specKicksWhileL2Runs()      { harness.RequireArch("x86") }
func specNestedStateRoundTrip()  { harness.RequireArch("x86") }
