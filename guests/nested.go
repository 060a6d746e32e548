package guests

// The nested-* scenarios (x86): the guest is an L1 hypervisor that runs an
// L2 loop of its own and reports what it saw of L2 (guests/src/x86/nested.inc
// documents the layout and the protocol; nested-svm.S is the AMD SVM L1).
// The images carry these values as symbols too (REPORT_L1_*, L1_VECTOR,
// L2_VECTOR).
const (
	// ReportL1Ready: L1 is set up and about to enter L2 for the first
	// time with interrupts held back (SVM: GIF = 0, IF = 1).
	ReportL1Ready ReportValue = 0x4E01
	// ReportL1VMExit: L2 exited to L1; EBX = exit code, ECX = L2's loop
	// count, ESI = how often L2's handler ran, EDI = the event whose
	// delivery the exit interrupted (SVM EXITINTINFO), EBP = L2's RIP.
	ReportL1VMExit ReportValue = 0x4E02
	// ReportL1NoIRQ: after an exit for an interrupt L1 let interrupts in
	// but took none; EBX = L1's interrupt count.
	ReportL1NoIRQ ReportValue = 0x4E03
	// ReportL1Fault: L1 took an unexpected vector; EBX = the vector, ECX
	// and ESI = the two stack words above it.
	ReportL1Fault ReportValue = 0x4E04

	// NestedL1Vector is the vector of the interrupt userspace sends L1
	// (KVM_SIGNAL_MSI); NestedL2Vector the event L1 injects into L2.
	NestedL1Vector = 0x30
	NestedL2Vector = 0x40
)
