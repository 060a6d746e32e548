//go:build !s390x

package kvm

// MemoryAlignment is the alignment of the host memory behind a memory slot
// (a page is enough everywhere but s390x).
const MemoryAlignment = 1 << 16
