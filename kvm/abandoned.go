package kvm

import (
	"sync"
	"time"
)

// AbandonedVCPU describes a vCPU whose KVM_RUN never returned.
type AbandonedVCPU struct {
	ID    uint32    // the vcpu id
	TID   int       // the OS thread still inside KVM_RUN
	Since time.Time // when the watchdog gave up on it
}

// abandoned is process-wide state (as are procs, the GOMAXPROCS
// reservation, and background, the VMs being torn down), on purpose: an abandoned vCPU's thread may come back out of KVM_RUN at any
// time until the process exits, and then reads its kvm_run mapping (and
// KVM may touch the VM's memory before that), so those must outlive every
// spec, every VM and every Close. Keeping the vCPUs here keeps them
// reachable and counted; nothing is ever removed.
var abandoned struct {
	sync.Mutex
	vcpus []*VCPU
	when  []time.Time
}

// abandon marks v stuck and keeps it, its mapping, its fd and its VM alive
// until the process exits.
func (v *VCPU) abandon() {
	if v.stuck.Swap(true) {
		return
	}
	abandoned.Lock()
	defer abandoned.Unlock()
	abandoned.vcpus = append(abandoned.vcpus, v)
	abandoned.when = append(abandoned.when, time.Now())
}

// Abandoned lists the vCPUs of this process whose KVM_RUN never returned
// (VCPU.RunBounded reported Stuck). Their threads, fds, kvm_run mappings
// and their VMs' memory and fds are kept until the process exits; a run
// reports how many there were.
func Abandoned() []AbandonedVCPU {
	abandoned.Lock()
	defer abandoned.Unlock()
	out := make([]AbandonedVCPU, len(abandoned.vcpus))
	for i, v := range abandoned.vcpus {
		out[i] = AbandonedVCPU{ID: v.id, TID: v.thread.tid, Since: abandoned.when[i]}
	}
	return out
}
