package kvm

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/kvmconform/kvmconform/internal/uapi"
)

// Run is a typed view of a vCPU's mmap'd struct kvm_run (and the pages after
// it: the PIO data page on x86). Offsets come from internal/uapi, generated
// per GOARCH; values are in the host's byte order (big-endian on s390x and
// ppc64).
type Run struct {
	mem []byte
}

// NewRunView wraps a byte slice laid out as struct kvm_run; used by tests to
// check decoding without /dev/kvm.
func NewRunView(b []byte) *Run { return &Run{mem: b} }

// Bytes is the whole mapping.
func (r *Run) Bytes() []byte { return r.mem }

func (r *Run) u8(off int) uint8         { return r.mem[off] }
func (r *Run) u16(off int) uint16       { return binary.NativeEndian.Uint16(r.mem[off:]) }
func (r *Run) u32(off int) uint32       { return binary.NativeEndian.Uint32(r.mem[off:]) }
func (r *Run) u64(off int) uint64       { return binary.NativeEndian.Uint64(r.mem[off:]) }
func (r *Run) putU32(off int, v uint32) { binary.NativeEndian.PutUint32(r.mem[off:], v) }
func (r *Run) putU64(off int, v uint64) { binary.NativeEndian.PutUint64(r.mem[off:], v) }

// U64At reads a native-endian u64 at an arbitrary kvm_run offset (for the
// arch packages' own fields, such as s390x's psw_mask).
func (r *Run) U64At(off int) uint64 { return r.u64(off) }

// PutU64At writes a native-endian u64 at an arbitrary kvm_run offset.
func (r *Run) PutU64At(off int, v uint64) { r.putU64(off, v) }

// ExitReason is run->exit_reason.
func (r *Run) ExitReason() uapi.ExitReason { return uapi.ExitReason(r.u32(uapi.OffRunExitReason)) }

// SetExitReason overwrites run->exit_reason (a spec plants a sentinel to see
// whether the kernel writes it).
func (r *Run) SetExitReason(v uapi.ExitReason) { r.putU32(uapi.OffRunExitReason, uint32(v)) }

// ImmediateExit reads the single byte run->immediate_exit.
func (r *Run) ImmediateExit() uint8 {
	return uint8(atomic.LoadUint32(r.word0()) >> immediateExitShift)
}

// SetImmediateExit stores the single byte run->immediate_exit. It changes
// only that byte of the aligned word at offset 0 (request_interrupt_window
// is byte 0), with a compare-and-swap so it is safe from any goroutine while
// the vCPU runs.
func (r *Run) SetImmediateExit(v uint8) {
	p := r.word0()
	for {
		old := atomic.LoadUint32(p)
		nw := old&^(0xff<<immediateExitShift) | uint32(v)<<immediateExitShift
		if atomic.CompareAndSwapUint32(p, old, nw) {
			return
		}
	}
}

func (r *Run) word0() *uint32 { return (*uint32)(unsafe.Pointer(&r.mem[0])) }

// immediateExitShift is where byte 1 of the first word sits in a native
// uint32: bits 8-15 on little-endian, bits 16-23 on big-endian.
var immediateExitShift = func() uint {
	var probe [4]byte
	probe[uapi.OffRunImmediateExit] = 0xff
	return uint(bitsTrailingZeros(binary.NativeEndian.Uint32(probe[:])))
}()

func bitsTrailingZeros(x uint32) int {
	n := 0
	for x&1 == 0 && n < 32 {
		x >>= 1
		n++
	}
	return n
}

// RequestInterruptWindow is run->request_interrupt_window.
func (r *Run) RequestInterruptWindow() uint8 { return r.u8(uapi.OffRunRequestInterruptWindow) }

// Flags is run->flags (x86: KVM_RUN_X86_SMM, BUS_LOCK, GUEST_MODE).
func (r *Run) Flags() uint16 { return r.u16(uapi.OffRunFlags) }

// IfFlag is run->if_flag (x86).
func (r *Run) IfFlag() uint8 { return r.u8(uapi.OffRunIfFlag) }

// ReadyForInterruptInjection is run->ready_for_interrupt_injection (x86).
func (r *Run) ReadyForInterruptInjection() uint8 { return r.u8(uapi.OffRunReadyForInterruptInjection) }

// CR8 is run->cr8 (x86).
func (r *Run) CR8() uint64 { return r.u64(uapi.OffRunCR8) }

// ApicBase is run->apic_base (x86).
func (r *Run) ApicBase() uint64 { return r.u64(uapi.OffRunApicBase) }

// ValidRegs / DirtyRegs are run->kvm_valid_regs and run->kvm_dirty_regs.
func (r *Run) ValidRegs() uint64 { return r.u64(uapi.OffRunKvmValidRegs) }

// DirtyRegs is run->kvm_dirty_regs.
func (r *Run) DirtyRegs() uint64 { return r.u64(uapi.OffRunKvmDirtyRegs) }

// SetValidRegs writes run->kvm_valid_regs.
func (r *Run) SetValidRegs(v uint64) { r.putU64(uapi.OffRunKvmValidRegs, v) }

// SetDirtyRegs writes run->kvm_dirty_regs.
func (r *Run) SetDirtyRegs(v uint64) { r.putU64(uapi.OffRunKvmDirtyRegs, v) }

// SyncRegs is the kvm_run.s sync-register area.
func (r *Run) SyncRegs() []byte { return r.mem[uapi.OffRunSyncRegs:uapi.SizeofRun] }

// IOExit is the KVM_EXIT_IO payload.
type IOExit struct {
	Direction  uint8 // uapi.KVM_EXIT_IO_IN or _OUT
	Size       uint8
	Port       uint16
	Count      uint32
	DataOffset uint64 // from the start of the mmap
}

// IO decodes run->io.
func (r *Run) IO() IOExit {
	return IOExit{
		Direction:  r.u8(uapi.OffRunIODirection),
		Size:       r.u8(uapi.OffRunIOSize),
		Port:       r.u16(uapi.OffRunIOPort),
		Count:      r.u32(uapi.OffRunIOCount),
		DataOffset: r.u64(uapi.OffRunIODataOffset),
	}
}

// IOData is the PIO data buffer of the current KVM_EXIT_IO (size*count
// bytes at data_offset inside the mapping).
func (r *Run) IOData() ([]byte, error) {
	io := r.IO()
	n := int(io.Size) * int(io.Count)
	if io.DataOffset+uint64(n) > uint64(len(r.mem)) {
		return nil, fmt.Errorf("io.data_offset %#x + %d lies outside the %d-byte vCPU mapping", io.DataOffset, n, len(r.mem))
	}
	return r.mem[io.DataOffset : io.DataOffset+uint64(n)], nil
}

// MMIOExit is the KVM_EXIT_MMIO payload.
type MMIOExit struct {
	PhysAddr uint64
	Data     [8]byte
	Len      uint32
	IsWrite  bool
}

// MMIO decodes run->mmio.
func (r *Run) MMIO() MMIOExit {
	var m MMIOExit
	m.PhysAddr = r.u64(uapi.OffRunMMIOPhysAddr)
	copy(m.Data[:], r.mem[uapi.OffRunMMIOData:uapi.OffRunMMIOData+8])
	m.Len = r.u32(uapi.OffRunMMIOLen)
	m.IsWrite = r.u8(uapi.OffRunMMIOIsWrite) != 0
	return m
}

// SetMMIOData fills run->mmio.data, the answer to an MMIO read (in guest
// byte order: the first len bytes are what the guest loads).
func (r *Run) SetMMIOData(data []byte) {
	copy(r.mem[uapi.OffRunMMIOData:uapi.OffRunMMIOData+8], data)
}

// HypercallExit is the KVM_EXIT_HYPERCALL payload.
type HypercallExit struct {
	Nr    uint64
	Args  [6]uint64
	Ret   uint64
	Flags uint64
}

// Hypercall decodes run->hypercall.
func (r *Run) Hypercall() HypercallExit {
	h := HypercallExit{Nr: r.u64(uapi.OffRunHypercallNr), Ret: r.u64(uapi.OffRunHypercallRet), Flags: r.u64(uapi.OffRunHypercallFlags)}
	for i := range h.Args {
		h.Args[i] = r.u64(uapi.OffRunHypercallArgs + 8*i)
	}
	return h
}

// SetHypercallRet writes run->hypercall.ret.
func (r *Run) SetHypercallRet(v uint64) { r.putU64(uapi.OffRunHypercallRet, v) }

// MSRExit is the KVM_EXIT_X86_RDMSR/WRMSR payload.
type MSRExit struct {
	Error  uint8
	Reason uint32
	Index  uint32
	Data   uint64
}

// MSR decodes run->msr.
func (r *Run) MSR() MSRExit {
	return MSRExit{Error: r.u8(uapi.OffRunMSRError), Reason: r.u32(uapi.OffRunMSRReason), Index: r.u32(uapi.OffRunMSRIndex), Data: r.u64(uapi.OffRunMSRData)}
}

// SetMSRResult answers an MSR exit: error (0 or 1) and the data for RDMSR.
func (r *Run) SetMSRResult(errFlag uint8, data uint64) {
	r.mem[uapi.OffRunMSRError] = errFlag
	r.putU64(uapi.OffRunMSRData, data)
}

// SystemEventExit is the KVM_EXIT_SYSTEM_EVENT payload.
type SystemEventExit struct {
	Type  uint32
	NData uint32
	Data  [16]uint64
}

// SystemEvent decodes run->system_event.
func (r *Run) SystemEvent() SystemEventExit {
	s := SystemEventExit{Type: r.u32(uapi.OffRunSystemEventType), NData: r.u32(uapi.OffRunSystemEventNdata)}
	for i := range s.Data {
		s.Data[i] = r.u64(uapi.OffRunSystemEventData + 8*i)
	}
	return s
}

// PaprHcallExit is the KVM_EXIT_PAPR_HCALL payload.
type PaprHcallExit struct {
	Nr   uint64
	Ret  uint64
	Args [9]uint64
}

// PaprHcall decodes run->papr_hcall.
func (r *Run) PaprHcall() PaprHcallExit {
	p := PaprHcallExit{Nr: r.u64(uapi.OffRunPaprHcallNr), Ret: r.u64(uapi.OffRunPaprHcallRet)}
	for i := range p.Args {
		p.Args[i] = r.u64(uapi.OffRunPaprHcallArgs + 8*i)
	}
	return p
}

// SetPaprHcallArg writes run->papr_hcall.args[i] (copied back to r4+i by
// the completion).
func (r *Run) SetPaprHcallArg(i int, v uint64) { r.putU64(uapi.OffRunPaprHcallArgs+8*i, v) }

// SetPaprHcallRet writes run->papr_hcall.ret.
func (r *Run) SetPaprHcallRet(v uint64) { r.putU64(uapi.OffRunPaprHcallRet, v) }

// RiscvSBIExit is the KVM_EXIT_RISCV_SBI payload.
type RiscvSBIExit struct {
	ExtensionID uint64
	FunctionID  uint64
	Args        [6]uint64
	Ret         [2]uint64
}

// RiscvSBI decodes run->riscv_sbi.
func (r *Run) RiscvSBI() RiscvSBIExit {
	s := RiscvSBIExit{ExtensionID: r.u64(uapi.OffRunRiscvSbiExtensionID), FunctionID: r.u64(uapi.OffRunRiscvSbiFunctionID)}
	for i := range s.Args {
		s.Args[i] = r.u64(uapi.OffRunRiscvSbiArgs + 8*i)
	}
	for i := range s.Ret {
		s.Ret[i] = r.u64(uapi.OffRunRiscvSbiRet + 8*i)
	}
	return s
}

// SetRiscvSBIRet writes run->riscv_sbi.ret[0..1] (error, value).
func (r *Run) SetRiscvSBIRet(errCode, value uint64) {
	r.putU64(uapi.OffRunRiscvSbiRet, errCode)
	r.putU64(uapi.OffRunRiscvSbiRet+8, value)
}

// S390SieicExit is the KVM_EXIT_S390_SIEIC payload.
type S390SieicExit struct {
	Icptcode uint8
	Ipa      uint16
	Ipb      uint32
}

// S390Sieic decodes run->s390_sieic.
func (r *Run) S390Sieic() S390SieicExit {
	return S390SieicExit{Icptcode: r.u8(uapi.OffRunS390SieicIcptcode), Ipa: r.u16(uapi.OffRunS390SieicIpa), Ipb: r.u32(uapi.OffRunS390SieicIpb)}
}

// ArmNISVExit is the KVM_EXIT_ARM_NISV payload.
type ArmNISVExit struct {
	EsrIss   uint64
	FaultIPA uint64
}

// ArmNISV decodes run->arm_nisv.
func (r *Run) ArmNISV() ArmNISVExit {
	return ArmNISVExit{EsrIss: r.u64(uapi.OffRunArmNisvEsrIss), FaultIPA: r.u64(uapi.OffRunArmNisvFaultIpa)}
}

// InternalSuberror is run->internal.suberror (KVM_EXIT_INTERNAL_ERROR).
func (r *Run) InternalSuberror() uint32 { return r.u32(uapi.OffRunInternalSuberror) }

// FailEntryReason is run->fail_entry.hardware_entry_failure_reason.
func (r *Run) FailEntryReason() uint64 { return r.u64(uapi.OffRunFailEntryReason) }

// Describe renders the current exit for a failure message.
func (r *Run) Describe() string {
	reason := r.ExitReason()
	s := fmt.Sprintf("exit_reason=%d (%s)", reason, reason)
	switch reason {
	case uapi.KVM_EXIT_IO:
		io := r.IO()
		s += fmt.Sprintf(" io{dir=%d size=%d port=%#x count=%d data_offset=%#x}", io.Direction, io.Size, io.Port, io.Count, io.DataOffset)
	case uapi.KVM_EXIT_MMIO:
		m := r.MMIO()
		s += fmt.Sprintf(" mmio{addr=%#x len=%d write=%v data=% x}", m.PhysAddr, m.Len, m.IsWrite, m.Data[:])
	case uapi.KVM_EXIT_SYSTEM_EVENT:
		e := r.SystemEvent()
		s += fmt.Sprintf(" system_event{type=%d ndata=%d}", e.Type, e.NData)
	case uapi.KVM_EXIT_INTERNAL_ERROR:
		s += fmt.Sprintf(" internal{suberror=%d}", r.InternalSuberror())
	case uapi.KVM_EXIT_FAIL_ENTRY:
		s += fmt.Sprintf(" fail_entry{reason=%#x}", r.FailEntryReason())
	case uapi.KVM_EXIT_X86_RDMSR, uapi.KVM_EXIT_X86_WRMSR:
		m := r.MSR()
		s += fmt.Sprintf(" msr{index=%#x reason=%d data=%#x}", m.Index, m.Reason, m.Data)
	case uapi.KVM_EXIT_HYPERCALL:
		h := r.Hypercall()
		s += fmt.Sprintf(" hypercall{nr=%d args=%#x}", h.Nr, h.Args)
	case uapi.KVM_EXIT_RISCV_SBI:
		b := r.RiscvSBI()
		s += fmt.Sprintf(" sbi{eid=%#x fid=%#x}", b.ExtensionID, b.FunctionID)
	case uapi.KVM_EXIT_PAPR_HCALL:
		s += fmt.Sprintf(" papr_hcall{nr=%#x}", r.PaprHcall().Nr)
	case uapi.KVM_EXIT_S390_SIEIC:
		x := r.S390Sieic()
		s += fmt.Sprintf(" sieic{icptcode=%d ipa=%#x ipb=%#x}", x.Icptcode, x.Ipa, x.Ipb)
	}
	return s
}
