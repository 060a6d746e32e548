package immediateexit

import (
	"encoding/binary"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/host"
	"github.com/kvmconform/kvmconform/guests"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// mmioData is the answer to every MMIO read: every byte has its top bit
// set, so sign extension is visible at every width.
var mmioData = [8]byte{0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8}

// mmioLoadEntries builds one table entry per mmio-load scenario of the host
// architecture (an architecture without MMIO loads gets a single entry that
// skips with the reason).
func mmioLoadEntries() []TableEntry {
	a := host.Arch()
	if a == nil {
		return []TableEntry{Entry("no architecture support", guests.MMIOLoad{})}
	}
	loads := guests.MMIOLoads(a.Name())
	if len(loads) == 0 {
		return []TableEntry{Entry(a.Name()+" has no MMIO loads", guests.MMIOLoad{})}
	}
	var entries []TableEntry
	for _, l := range loads {
		entries = append(entries, Entry(fmt.Sprintf("%s: %d-byte %s load into %s", l.Scenario, l.Width, map[bool]string{true: "sign-extending", false: "zero-extending"}[l.Signed], l.Reg), l))
	}
	return entries
}

// cmpLabel names the architecture's MMIO completion spec line, as its
// facts give it; CMP-13 alone where the architecture completes no MMIO
// read (s390) or kvmconform has none.
func cmpLabel() string {
	if a := host.Arch(); a != nil {
		if c, ok := a.Completions().Lookup(uapi.KVM_EXIT_MMIO, arch.AccessRead); ok && c.Spec != "" {
			return c.Spec
		}
	}
	return "CMP-13"
}

var _ = Describe("Completion of a pending MMIO read before an immediate exit", Label("completion", "immediate-exit", "CMP-13"), Label(cmpLabel()), harness.ArchLabel(), func() {
	// CMP-4 (x86 complete_emulated_mmio), CMP-8 (arm64
	// kvm_handle_mmio_return), CMP-10 (riscv kvm_riscv_vcpu_mmio_return),
	// CMP-12 (mips kvm_mips_complete_mmio_load, ppc
	// kvmppc_complete_mmio_load): the pending MMIO read is completed before
	// the immediate_exit check, so KVM_RUN with immediate_exit = 1 returns
	// EINTR with the destination register written (with the right width and
	// extension) and the PC past the load, and no further guest instruction
	// has run. CMP-13: the completion happens exactly once. [4.11; arm64 PC
	// visible after an immediate exit from 5.13, e3e880bb1518]
	DescribeTable("completes the load exactly once and runs nothing more [CMP-4, CMP-8, CMP-10, CMP-12, CMP-13]",
		func(load guests.MMIOLoad) {
			sys := harness.OpenKVM()
			a := harness.HostArch()
			if load.Scenario == "" {
				Skip(fmt.Sprintf("architecture: %s", guests.Reason(a.Name(), "mmio-load")))
			}
			m, v := harness.NewMachineVCPU(sys, a, load.Scenario, harness.MachineOptions{})

			By("running to the MMIO read exit")
			m.RunToExit(v, uapi.KVM_EXIT_MMIO)
			mm := v.Run().MMIO()
			Expect(mm.IsWrite).To(BeFalse(), "%s", m.State(v))
			Expect(mm.PhysAddr).To(Equal(m.Layout.MMIOBase), "mmio.phys_addr")
			Expect(mm.Len).To(Equal(uint32(load.Width)), "mmio.len")
			checkPCDuringExit(m, v, uapi.KVM_EXIT_MMIO, arch.AccessRead)
			before := m.Reg(v, load.Reg)

			By("answering the read and running with immediate_exit = 1")
			v.Run().SetMMIOData(mmioData[:])
			m.RunImmediateEINTR(v, "KVM_RUN with immediate_exit after the MMIO read")
			want := load.Expect(dataValue(m, load.Width), before)
			got := m.Reg(v, load.Reg)
			harness.ExpectHex(got, want, "%s after completion (data % x, %s before: %#x)", load.Reg, mmioData[:load.Width], load.Reg, before)
			m.ExpectPC(v, "after", "PC after completion: past the load")
			Expect(m.Marker()).To(BeZero(), "the marker store after the load ran during the immediate exit")

			By("running with immediate_exit = 1 again: nothing is completed twice")
			m.RunImmediateEINTR(v, "a second immediate run after the MMIO read (CMP-13)")
			got2 := m.Reg(v, load.Reg)
			harness.ExpectHex(got2, got, "%s after a second immediate run (CMP-13)", load.Reg)
			m.ExpectPC(v, "after", "PC after a second immediate run (CMP-13)")

			By("clearing immediate_exit: the guest continues past the load")
			v.Run().SetImmediateExit(0)
			Expect(m.RunToReport(v)).To(Equal(uint32(guests.ReportDone)), "the guest's report after the load")
			Expect(m.Marker()).To(Equal(guests.MarkerValue), "the marker after the load")
		},
		mmioLoadEntries(),
	)
})

// dataValue is the first width bytes of mmioData read in the guest's byte
// order.
func dataValue(m *harness.Machine, width int) uint64 {
	var b [8]byte
	copy(b[:], mmioData[:width])
	if m.Layout.ByteOrder == binary.ByteOrder(binary.BigEndian) {
		var v uint64
		for i := 0; i < width; i++ {
			v = v<<8 | uint64(b[i])
		}
		return v
	}
	return binary.LittleEndian.Uint64(b[:])
}
