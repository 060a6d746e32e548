//go:build linux && amd64

package x86

// Architectural constants of the local APIC and of MSIs, named as the
// kernel names them (arch/x86/include/asm/msr-index.h, apicdef.h, msi.h)
// and as the Intel SDM vol. 3A, chapter "Advanced Programmable Interrupt
// Controller (APIC)", defines them. They are not uapi: KVM emulates the
// hardware's encoding.
const (
	// MSRAPICBase is IA32_APIC_BASE (msr-index.h MSR_IA32_APICBASE; SDM
	// "Local APIC Status and Location").
	MSRAPICBase = 0x1b
	// APICBaseBSP is IA32_APIC_BASE's BSP flag, bit 8
	// (MSR_IA32_APICBASE_BSP): set on the boot processor only.
	APICBaseBSP = 1 << 8
	// APICBaseEnable is IA32_APIC_BASE's APIC global enable flag, bit 11
	// (MSR_IA32_APICBASE_ENABLE).
	APICBaseEnable = 1 << 11
	// APICDefaultBase is the local APIC's base address after reset
	// (apicdef.h APIC_DEFAULT_PHYS_BASE), IA32_APIC_BASE bits 35:12.
	APICDefaultBase = 0xfee00000
)

// Delivery modes of an IPI: ICR bits 10:8 (apicdef.h APIC_DM_INIT,
// APIC_DM_STARTUP; SDM "Interrupt Command Register (ICR)"). An MSI's data
// carries the same encoding at the same bits (msi.h struct x86_msi_data
// delivery_mode; SDM "Message Data Register Format").
const (
	APICDMInit    = 0x500
	APICDMStartup = 0x600
)

// The MSI address (SDM "Message Address Register Format"; msi.h struct
// x86_msi_addr_lo): bits 31:20 are 0xFEE (X86_MSI_BASE_ADDRESS_LOW), bits
// 19:12 the destination APIC ID (destid_0_7).
const (
	MSIAddrBase        = 0xfee00000
	MSIAddrDestIDShift = 12
)

// MSIAddr is the address of an MSI to APIC ID dest in physical
// destination mode, without redirection hint.
func MSIAddr(dest uint8) uint64 { return MSIAddrBase | uint64(dest)<<MSIAddrDestIDShift }
