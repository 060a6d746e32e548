package kvm

// MemoryAlignment is the alignment of the host memory behind a memory slot:
// s390 KVM requires 1 MiB (arch/s390/kvm/kvm-s390.c
// kvm_arch_prepare_memory_region: userspace_addr & 0xffffful).
const MemoryAlignment = 1 << 20
