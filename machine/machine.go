// Package machine builds a VM from a guest image without a test framework:
// the one place that lays out RAM as the image's architecture says, loads
// the image, creates vCPUs at its entry, and reads the guest's reports off
// its doorbell. The suites' harness wraps it with Ginkgo skips and
// failures; the benchmarks use it directly.
package machine

import (
	"fmt"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
)

// Options are the choices New offers.
type Options struct {
	// IRQChip creates the in-kernel irqchip before any vCPU
	// (KVM_CREATE_IRQCHIP).
	IRQChip bool
}

// Guest is a VM with one guest image loaded into its RAM.
type Guest struct {
	VM     *kvm.VM
	Arch   arch.Arch
	Image  *guests.Image
	Layout guests.MemoryLayout
	RAM    *kvm.Memory
}

// New creates the VM (KVM_CREATE_VM, the architecture's PrepareVM, the
// irqchip when asked), one RAM slot where the architecture's layout puts
// it, and copies img into it. On an error nothing is left open.
func New(sys *kvm.System, a arch.Arch, img *guests.Image, opts Options) (*Guest, error) {
	layout, err := guests.Layout(a.Name())
	if err != nil {
		return nil, err
	}
	vm, err := sys.CreateVM(0)
	if err != nil {
		return nil, fmt.Errorf("KVM_CREATE_VM: %w", err)
	}
	g := &Guest{VM: vm, Arch: a, Image: img, Layout: layout}
	if err := g.fill(opts); err != nil {
		vm.Close()
		return nil, err
	}
	return g, nil
}

func (g *Guest) fill(opts Options) error {
	if err := g.Arch.PrepareVM(g.VM); err != nil {
		return err
	}
	if opts.IRQChip {
		if r := g.VM.CreateIRQChip(); !r.OK() {
			return fmt.Errorf("KVM_CREATE_IRQCHIP: %s", r)
		}
	}
	ram, err := g.VM.AddMemory(0, g.Layout.RAMBase, int(g.Layout.RAMSize))
	if err != nil {
		return err
	}
	g.RAM = ram
	return g.Image.CopyTo(ram.Data, g.Layout.RAMBase)
}

// AddVCPU creates vCPU id and initialises it for the architecture
// (InitVCPU); with atEntry it also points it at the image's entry
// (SetEntry), otherwise its registers keep the reset state.
func (g *Guest) AddVCPU(id uint32, opts arch.InitOptions, atEntry bool) (*kvm.VCPU, error) {
	v, err := g.VM.CreateVCPU(id)
	if err != nil {
		return nil, err
	}
	if err := g.Arch.InitVCPU(v, opts); err != nil {
		return nil, fmt.Errorf("vCPU %d: %w", id, err)
	}
	if atEntry {
		if err := g.Arch.SetEntry(v, g.Image.Entry); err != nil {
			return nil, fmt.Errorf("vCPU %d: %w", id, err)
		}
	}
	return v, nil
}

// Report decodes the vCPU's current exit as a guest report through the
// layout's doorbell (guests.ReportValue): a 4-byte OUT to the doorbell port
// (KVM_EXIT_IO), a 4-byte store to the doorbell address (KVM_EXIT_MMIO),
// DIAG with the value in a register (KVM_EXIT_S390_SIEIC). ok is false for
// any other exit.
func (g *Guest) Report(v *kvm.VCPU) (value uint32, ok bool) {
	run := v.Run()
	lay := g.Layout
	switch lay.DoorbellKind {
	case guests.DoorbellPIO:
		if run.ExitReason() != uapi.KVM_EXIT_IO {
			return 0, false
		}
		io := run.IO()
		data, err := run.IOData()
		if err != nil || io.Direction != uapi.KVM_EXIT_IO_OUT || uint64(io.Port) != lay.Doorbell || io.Size != 4 || io.Count != 1 {
			return 0, false
		}
		return lay.ByteOrder.Uint32(data), true
	case guests.DoorbellMMIO:
		if run.ExitReason() != uapi.KVM_EXIT_MMIO {
			return 0, false
		}
		mm := run.MMIO()
		if !mm.IsWrite || mm.PhysAddr != lay.Doorbell || mm.Len != 4 {
			return 0, false
		}
		return lay.ByteOrder.Uint32(mm.Data[:4]), true
	case guests.DoorbellDIAG:
		// An instruction intercept (icptcode 4) of opcode 0x83 (DIAG).
		if run.ExitReason() != uapi.KVM_EXIT_S390_SIEIC {
			return 0, false
		}
		if x := run.S390Sieic(); x.Icptcode != 4 || x.Ipa>>8 != 0x83 {
			return 0, false
		}
		val, err := g.Arch.Reg(v, lay.DoorbellReg)
		if err != nil {
			return 0, false
		}
		return uint32(val), true
	}
	return 0, false
}
