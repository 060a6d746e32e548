//go:build linux && amd64

package x86

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/kvmconform/kvmconform/kvm"
)

// VCPUEvents is struct kvm_vcpu_events as bytes (cgo cannot name its
// anonymous nested structs); the accessors use the generated offsets.
type VCPUEvents [SizeofVCPUEvents]byte

// Flags is kvm_vcpu_events.flags.
func (e *VCPUEvents) Flags() uint32 { return binary.LittleEndian.Uint32(e[OffEventsFlags:]) }

// SetFlags writes kvm_vcpu_events.flags.
func (e *VCPUEvents) SetFlags(f uint32) { binary.LittleEndian.PutUint32(e[OffEventsFlags:], f) }

// SipiVector is kvm_vcpu_events.sipi_vector.
func (e *VCPUEvents) SipiVector() uint32 { return binary.LittleEndian.Uint32(e[OffEventsSipiVector:]) }

// SetSipiVector writes kvm_vcpu_events.sipi_vector.
func (e *VCPUEvents) SetSipiVector(v uint32) {
	binary.LittleEndian.PutUint32(e[OffEventsSipiVector:], v)
}

// SMM is kvm_vcpu_events.smi.smm.
func (e *VCPUEvents) SMM() uint8 { return e[OffEventsSmiSmm] }

// SetSMM writes kvm_vcpu_events.smi.smm.
func (e *VCPUEvents) SetSMM(v uint8) { e[OffEventsSmiSmm] = v }

// LatchedInit is kvm_vcpu_events.smi.latched_init.
func (e *VCPUEvents) LatchedInit() uint8 { return e[OffEventsSmiLatchedInit] }

// SetLatchedInit writes kvm_vcpu_events.smi.latched_init.
func (e *VCPUEvents) SetLatchedInit(v uint8) { e[OffEventsSmiLatchedInit] = v }

// GetVCPUEvents is KVM_GET_VCPU_EVENTS. Always GET, modify, SET: the
// exception, interrupt and NMI fields are applied on every SET.
func GetVCPUEvents(v *kvm.VCPU) (*VCPUEvents, error) {
	var e VCPUEvents
	if r := v.Ioctl(KVM_GET_VCPU_EVENTS, unsafe.Pointer(&e)); !r.OK() {
		return nil, fmt.Errorf("KVM_GET_VCPU_EVENTS: %s", r)
	}
	return &e, nil
}

// SetVCPUEvents is KVM_SET_VCPU_EVENTS; it returns the raw result so specs
// can check its errno.
func SetVCPUEvents(v *kvm.VCPU, e *VCPUEvents) kvm.Result {
	return v.Ioctl(KVM_SET_VCPU_EVENTS, unsafe.Pointer(e))
}

// GetMSR reads one MSR with KVM_GET_MSRS.
func GetMSR(v *kvm.VCPU, index uint32) (uint64, error) {
	buf := msrBuffer(index, 0)
	r := v.Ioctl(KVM_GET_MSRS, unsafe.Pointer(&buf[0]))
	if !r.OK() || r.Ret != 1 {
		return 0, fmt.Errorf("KVM_GET_MSRS %#x: %s", index, r)
	}
	return msrEntry(buf).Data, nil
}

// SetMSR writes one MSR with KVM_SET_MSRS.
func SetMSR(v *kvm.VCPU, index uint32, val uint64) error {
	buf := msrBuffer(index, val)
	r := v.Ioctl(KVM_SET_MSRS, unsafe.Pointer(&buf[0]))
	if !r.OK() || r.Ret != 1 {
		return fmt.Errorf("KVM_SET_MSRS %#x=%#x: %s", index, val, r)
	}
	return nil
}

func msrBuffer(index uint32, val uint64) []uint64 {
	n := (unsafe.Sizeof(MSRsHeader{}) + unsafe.Sizeof(MSREntry{}) + 7) / 8
	buf := make([]uint64, n)
	h := (*MSRsHeader)(unsafe.Pointer(&buf[0]))
	h.Nmsrs = 1
	e := msrEntry(buf)
	e.Index = index
	e.Data = val
	return buf
}

// msrEntry is the first struct kvm_msr_entry after the kvm_msrs header.
func msrEntry(buf []uint64) *MSREntry {
	return (*MSREntry)(unsafe.Add(unsafe.Pointer(&buf[0]), unsafe.Sizeof(MSRsHeader{})))
}

// SetSupportedCPUID gives the vCPU every CPUID leaf KVM supports
// (KVM_GET_SUPPORTED_CPUID, then KVM_SET_CPUID2), as a VMM would.
func SetSupportedCPUID(sys *kvm.System, v *kvm.VCPU) error {
	const max = 256
	hdr := unsafe.Sizeof(CPUID2Header{})
	ent := unsafe.Sizeof(CPUIDEntry2{})
	buf := make([]uint64, (hdr+max*ent+7)/8)
	h := (*CPUID2Header)(unsafe.Pointer(&buf[0]))
	h.Nent = max
	if r := sys.Ioctl(KVM_GET_SUPPORTED_CPUID, unsafe.Pointer(&buf[0])); !r.OK() {
		return fmt.Errorf("KVM_GET_SUPPORTED_CPUID: %s", r)
	}
	if r := v.Ioctl(KVM_SET_CPUID2, unsafe.Pointer(&buf[0])); !r.OK() {
		return fmt.Errorf("KVM_SET_CPUID2 (%d entries): %s", h.Nent, r)
	}
	return nil
}
