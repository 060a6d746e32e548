package harness

import (
	"fmt"
	"os"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/kvm"
)

// TimeScaleEnv names the environment variable that stretches every deadline
// the suites use, for emulated CPUs: the QEMU runner (ci/) sets it for the
// guests it boots under TCG, where one guest instruction can cost
// milliseconds. Natively it is unset, and a guest that never reaches its
// next exit fails its spec within NativeRunDeadline.
const TimeScaleEnv = "KVMCONFORM_TIME_SCALE"

// NativeRunDeadline bounds, on real hardware, every KVM_RUN a spec expects
// to return by itself. The test guests exit within microseconds of
// entering; two seconds is a hang, not a slow machine.
const NativeRunDeadline = 2 * time.Second

// nativeKickGrace is how long, natively, the watchdog keeps re-kicking a
// vCPU after its deadline before declaring it stuck.
const nativeKickGrace = 2 * time.Second

// TimeScale is the factor from $KVMCONFORM_TIME_SCALE (a number ≥ 1), or 1
// when it is unset; an invalid value is reported by CheckTimeScale and
// counts as 1 here.
func TimeScale() float64 {
	f, err := parseTimeScale(os.Getenv(TimeScaleEnv))
	if err != nil {
		return 1
	}
	return f
}

func parseTimeScale(s string) (float64, error) {
	if s == "" {
		return 1, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 1000 {
		return 0, fmt.Errorf("%s=%q: want a number from 1 to 1000 (the factor for every deadline on an emulated CPU)", TimeScaleEnv, s)
	}
	return f, nil
}

// CheckTimeScale fails the suite set-up when $KVMCONFORM_TIME_SCALE is set
// to something that is not a factor.
func CheckTimeScale() {
	if _, err := parseTimeScale(os.Getenv(TimeScaleEnv)); err != nil {
		Fail(err.Error())
	}
}

// Scaled stretches d by TimeScale.
func Scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * TimeScale()) }

// RunDeadline bounds every KVM_RUN a spec expects to return by itself:
// NativeRunDeadline, scaled for emulated CPUs.
func RunDeadline() time.Duration { return Scaled(NativeRunDeadline) }

// KickGrace is how long the watchdog re-kicks after a deadline before it
// declares the vCPU stuck, scaled like RunDeadline.
func KickGrace() time.Duration { return Scaled(nativeKickGrace) }

// RunFor issues one KVM_RUN bounded by d (see kvm.VCPU.RunBounded), for
// specs that expect the deadline to pass (a vCPU that must block), and
// fails the spec if the vCPU got stuck: a result that is Stuck also says
// DeadlinePassed, and must never pass for "it blocked as it should".
func RunFor(v *kvm.VCPU, d time.Duration) kvm.RunResult {
	GinkgoHelper()
	rr := v.RunBounded(d, KickGrace())
	if rr.Stuck {
		Fail(rr.String())
	}
	return rr
}

// EndSuite is every suite's AfterSuite: it reports the abandoned vCPUs
// (ReportAbandoned), then waits for the VMs whose teardown the specs left
// running (kvm.WaitClosed; the specs' VMs close in the background) and
// fails the suite when a close failed.
func EndSuite() {
	ReportAbandoned()
	if err := kvm.WaitClosed(); err != nil {
		Fail("closing the suite's VMs: " + err.Error())
	}
}

// ReportAbandoned says, at the end of a suite, how many vCPUs of this
// process never came back from KVM_RUN (each also failed its own spec with
// STUCK): as a report entry and on stderr. Their fds and memory are kept
// until the process exits (kvm.Abandoned).
func ReportAbandoned() {
	gone := kvm.Abandoned()
	if len(gone) == 0 {
		return
	}
	msg := fmt.Sprintf("%d vCPU(s) abandoned in KVM_RUN (never returned despite kicks):", len(gone))
	for _, g := range gone {
		msg += fmt.Sprintf(" vCPU %d (thread %d, since %s)", g.ID, g.TID, g.Since.Format(time.RFC3339))
	}
	AddReportEntry("abandoned vCPUs", msg)
	fmt.Fprintln(os.Stderr, "kvmconform:", msg)
}

// tuneHandoff turns the vCPU threads' spinning off on an emulated CPU
// (TimeScale > 1): there a thread that spins while it waits for a KVM_RUN
// only steals time from the emulated vCPU that runs it.
func tuneHandoff(vm *kvm.VM) {
	if TimeScale() > 1 {
		vm.SetHandoffSpin(0)
	}
}
