package harness

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/machine"
)

// Machine is a VM built from one guest image (machine.Guest: RAM as the
// image's architecture lays it out, the image loaded), closed when the spec
// ends (in the background, as CreateVM's), with vCPUs pointed at its entry
// and the spec helpers around it.
type Machine struct {
	Sys *kvm.System
	*machine.Guest
}

// MachineOptions are the choices NewMachine offers (IRQChip: the in-kernel
// irqchip before any vCPU).
type MachineOptions = machine.Options

// NewMachine builds a VM for scenario on the host architecture. The spec is
// skipped, with the reason, where the architecture has no such scenario.
func NewMachine(sys *kvm.System, a arch.Arch, scenario string, opts MachineOptions) *Machine {
	GinkgoHelper()
	if !guests.Has(a.Name(), scenario) {
		Skip(fmt.Sprintf("architecture: %s has no guest scenario %q: %s", a.Name(), scenario, guests.Reason(a.Name(), scenario)))
	}
	img, err := guests.Load(a.Name(), scenario)
	if err != nil {
		Fail(fmt.Sprintf("load guest %s/%s: %v", a.Name(), scenario, err))
	}
	g, err := machine.New(sys, a, img, opts)
	if err != nil {
		Fail(err.Error())
	}
	DeferCleanup(g.VM.CloseInBackground)
	tuneHandoff(g.VM)
	return &Machine{Sys: sys, Guest: g}
}

// NewMachineVCPU is NewMachine with vCPU 0 created, initialised and at the
// image's entry: what most specs start from.
func NewMachineVCPU(sys *kvm.System, a arch.Arch, scenario string, opts MachineOptions) (*Machine, *kvm.VCPU) {
	GinkgoHelper()
	m := NewMachine(sys, a, scenario, opts)
	return m, m.AddVCPU(0, arch.InitOptions{})
}

// Sym is the guest address of a symbol of the image; a missing symbol fails
// the spec.
func (m *Machine) Sym(name string) uint64 {
	GinkgoHelper()
	addr, err := m.Image.Sym(name)
	if err != nil {
		Fail(err.Error())
	}
	return addr
}

// AddVCPU creates vCPU id, initialises it for the architecture and points
// it at the image's entry.
func (m *Machine) AddVCPU(id uint32, opts arch.InitOptions) *kvm.VCPU {
	GinkgoHelper()
	return m.addVCPU(id, opts, true)
}

// AddVCPUNoEntry creates and initialises vCPU id but leaves its registers
// at the architecture's reset state.
func (m *Machine) AddVCPUNoEntry(id uint32, opts arch.InitOptions) *kvm.VCPU {
	GinkgoHelper()
	return m.addVCPU(id, opts, false)
}

func (m *Machine) addVCPU(id uint32, opts arch.InitOptions, atEntry bool) *kvm.VCPU {
	GinkgoHelper()
	v, err := m.Guest.AddVCPU(id, opts, atEntry)
	if err != nil {
		Fail(err.Error())
	}
	return v
}

// Marker reads the image's 4-byte RAM word `marker` in the guest's byte
// order: guests.MarkerValue once the code after the instruction under test
// ran, 0 before.
func (m *Machine) Marker() uint32 {
	GinkgoHelper()
	gpa, err := m.Image.SymPhys("marker")
	if err != nil {
		Fail(err.Error())
	}
	b, err := m.VM.ReadGuest(gpa, 4)
	if err != nil {
		Fail(err.Error())
	}
	return m.Layout.ByteOrder.Uint32(b)
}

// RunToReport runs the vCPU (bounded) until its next exit and fails the
// spec unless that exit is a guest report; it returns the reported value.
func (m *Machine) RunToReport(v *kvm.VCPU) uint32 {
	GinkgoHelper()
	rr := m.Run(v)
	if !rr.OK() {
		Fail(fmt.Sprintf("KVM_RUN while waiting for the guest's report: %s; %s", rr, m.State(v)))
	}
	val, ok := m.Report(v)
	if !ok {
		Fail(fmt.Sprintf("expected the guest to report through the doorbell, got %s", m.State(v)))
	}
	return val
}

// RunToExit runs the vCPU (bounded) until its next exit and fails the spec
// unless KVM_RUN returned 0 with exit_reason reason.
func (m *Machine) RunToExit(v *kvm.VCPU, reason uapi.ExitReason) {
	GinkgoHelper()
	rr := m.Run(v)
	if !rr.OK() || rr.ExitReason != reason {
		Fail(fmt.Sprintf("KVM_RUN: want 0 with exit %s, got %s; %s", reason, rr, m.State(v)))
	}
}

// State renders a vCPU for a failure message: its registers and its
// kvm_run exit.
func (m *Machine) State(v *kvm.VCPU) string {
	return fmt.Sprintf("vCPU %d: %s; %s", v.ID(), m.Arch.Dump(v), v.Run().Describe())
}

// Run issues one KVM_RUN bounded by RunDeadline and fails the spec, with the
// vCPU state, if the deadline passed (the message then says whether the
// kernel ignored immediate_exit) or the vCPU got stuck (the message starts
// with STUCK).
func (m *Machine) Run(v *kvm.VCPU) kvm.RunResult {
	GinkgoHelper()
	rr := v.RunBounded(RunDeadline(), KickGrace())
	if rr.DeadlinePassed || rr.Stuck {
		Fail(fmt.Sprintf("%s; %s", rr, m.State(v)))
	}
	return rr
}

// RunImmediate sets immediate_exit = 1 and issues one bounded KVM_RUN (Run),
// which must come back by itself: a kernel that ignores immediate_exit
// fails the spec with a message that says so. immediate_exit stays set.
func (m *Machine) RunImmediate(v *kvm.VCPU) kvm.RunResult {
	GinkgoHelper()
	v.Run().SetImmediateExit(1)
	return m.Run(v)
}

// RunImmediateEINTR is RunImmediate for the usual case, a run that must
// end with EINTR (kernel-semantics §1): anything else fails the spec with
// the result and the vCPU state, after what (which may carry fmt
// arguments) names the run.
func (m *Machine) RunImmediateEINTR(v *kvm.VCPU, what string, args ...any) kvm.RunResult {
	GinkgoHelper()
	rr := m.RunImmediate(v)
	if rr.Errno != unix.EINTR {
		Fail(fmt.Sprintf("%s: KVM_RUN with immediate_exit = 1 did not return EINTR: %s; %s", fmt.Sprintf(what, args...), rr, m.State(v)))
	}
	return rr
}
