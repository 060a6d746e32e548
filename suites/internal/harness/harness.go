// Package harness is what every kvmconform suite shares: opening the KVM
// device with a skip reason when it cannot be used, capability and
// architecture skips, the host facts every report records (kernel release,
// KVM modules), and building a VM from a guest image.
package harness

import (
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/internal/hostinfo"
	"github.com/kvmconform/kvmconform/kvm"
)

// OpenKVM opens the device ($KVMCONFORM_DEVICE or /dev/kvm) for the current
// spec, skipping it with the reason when KVM cannot be used here: no device
// (ENOENT/ENODEV), no permission (EACCES), not a KVM device. The device is
// closed when the spec ends.
func OpenKVM() *kvm.System {
	GinkgoHelper()
	sys, reason := kvm.Probe(kvm.DevicePath())
	if sys == nil {
		Skip("KVM unavailable: " + reason)
	}
	DeferCleanup(sys.Close)
	return sys
}

// HostArch returns this build's architecture, skipping the spec where
// kvmconform has no architecture support for the GOARCH.
func HostArch() arch.Arch {
	GinkgoHelper()
	a := host.Arch()
	if a == nil {
		Skip("architecture: kvmconform has no support for this GOARCH")
	}
	return a
}

// RequireArch skips the spec unless the host architecture is one of names.
func RequireArch(names ...string) arch.Arch {
	GinkgoHelper()
	a := HostArch()
	for _, n := range names {
		if a.Name() == n {
			return a
		}
	}
	Skip(fmt.Sprintf("architecture: this spec is for %s, the host is %s", strings.Join(names, "/"), a.Name()))
	return nil
}

// RequireCap skips the spec unless KVM_CHECK_EXTENSION(capability) is
// positive on the VM fd (or the system fd when vm is nil).
func RequireCap(sys *kvm.System, vm *kvm.VM, capability uintptr, name string) uintptr {
	GinkgoHelper()
	var r kvm.Result
	if vm != nil {
		r = vm.CheckExtension(capability)
	} else {
		r = sys.CheckExtension(capability)
	}
	if !r.OK() || r.Ret == 0 {
		Skip(fmt.Sprintf("capability: %s (%d) is not supported here (KVM_CHECK_EXTENSION = %s)", name, capability, r))
	}
	return r.Ret
}

// CreateVM creates a VM with the architecture's preparation done, closed
// when the spec ends (its vCPUs at once, the VM itself in the background:
// kvm.VM.CloseInBackground; the suite's EndSuite waits for it).
func CreateVM(sys *kvm.System, a arch.Arch) *kvm.VM {
	GinkgoHelper()
	vm, err := sys.CreateVM(0)
	if err != nil {
		Fail(fmt.Sprintf("KVM_CREATE_VM: %v", err))
	}
	DeferCleanup(vm.CloseInBackground)
	tuneHandoff(vm)
	if err := a.PrepareVM(vm); err != nil {
		Fail(err.Error())
	}
	return vm
}

// RecordHost attaches the host's description (hostinfo.Read, with the KVM
// device's API version and capabilities, or why it cannot be used) to the
// suite report as the entry "host" (call it from a BeforeSuite) and prints
// it, so every report says which architecture, kernel, KVM modules and CPU
// it judged.
// The entry holds the Info itself: its JSON is what package expectations
// reads to match expectations to the run, its String the representation.
// An invalid $KVMCONFORM_TIME_SCALE or $KVMCONFORM_STRESS fails the suite
// set-up first.
func RecordHost() {
	CheckTimeScale()
	CheckStress()
	info := hostinfo.Read(kvm.DevicePath())
	probeHost(&info)
	AddReportEntry("host", info)
	fmt.Fprintln(os.Stderr, "kvmconform:", info)
}
