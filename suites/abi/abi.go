package abi

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
	"github.com/kvmconform/kvmconform/kvm"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

var _ = Describe("Capabilities and basic ABI", harness.ArchLabel(), func() {
	var (
		sys *kvm.System
		a   arch.Arch
	)
	BeforeEach(func() {
		sys = harness.OpenKVM()
		a = harness.HostArch()
	})

	// CAP-1: 460df4c1fc7c "KVM: race-free exit from KVM_RUN without POSIX
	// signals" (Linux 4.11; riscv 5.16, loongarch 6.7) makes every
	// architecture's kvm_vm_ioctl_check_extension report
	// KVM_CAP_IMMEDIATE_EXIT as 1, on /dev/kvm and on a VM fd.
	It("reports KVM_CAP_IMMEDIATE_EXIT = 1 on the system fd and on a VM fd [CAP-1, Linux 4.11]", Label("CAP-1", "immediate-exit"), func() {
		Expect(sys.CheckExtension(uapi.KVM_CAP_IMMEDIATE_EXIT)).To(Equal(kvm.Result{Ret: 1}),
			"KVM_CHECK_EXTENSION(KVM_CAP_IMMEDIATE_EXIT=136) on %s", sys.Path())
		vm := harness.CreateVM(sys, a)
		Expect(vm.CheckExtension(uapi.KVM_CAP_IMMEDIATE_EXIT)).To(Equal(kvm.Result{Ret: 1}),
			"KVM_CHECK_EXTENSION(KVM_CAP_IMMEDIATE_EXIT=136) on the VM fd")
	})

	// CAP-2: KVM_CAP_MP_STATE is reported by x86, arm64, s390, riscv and
	// loongarch, and not by mips or powerpc (each arch's
	// kvm_vm_ioctl_check_extension switch; x86 since 2.6.26).
	It("reports KVM_CAP_MP_STATE where the architecture implements KVM_GET/SET_MP_STATE [CAP-2]", Label("CAP-2", "mp-state"), func() {
		f := a.MPState()
		want := kvm.Result{}
		if f.Supported {
			want.Ret = 1
		}
		Expect(sys.CheckExtension(uapi.KVM_CAP_MP_STATE)).To(Equal(want),
			"KVM_CHECK_EXTENSION(KVM_CAP_MP_STATE=14) on %s, whose KVM_GET/SET_MP_STATE supported = %v (%s)", a.Name(), f.Supported, f.Source)
	})

	// ABI-2: kvm_dev_ioctl KVM_GET_VCPU_MMAP_SIZE returns PAGE_SIZE plus the
	// PIO page (x86, KVM_PIO_PAGE_OFFSET) and the coalesced MMIO ring page
	// (virt/kvm/kvm_main.c kvm_dev_ioctl; always).
	It("reports a vCPU mmap size that holds struct kvm_run and is a whole number of pages [ABI-2]", Label("ABI-2"), func() {
		size, err := sys.VCPUMmapSize()
		Expect(err).NotTo(HaveOccurred())
		page := os.Getpagesize()
		Expect(size).To(BeNumerically(">=", uapi.SizeofRun), "KVM_GET_VCPU_MMAP_SIZE vs sizeof(struct kvm_run)")
		Expect(size%page).To(BeZero(), "KVM_GET_VCPU_MMAP_SIZE %d is not a multiple of the %d-byte page", size, page)
		f := a.VCPUMmap()
		Expect(size).To(BeNumerically(">=", f.MinPages*page), "KVM_GET_VCPU_MMAP_SIZE %d: %s maps at least %d pages (%s)", size, a.Name(), f.MinPages, f.Source)
	})

	// ABI-3: kvm_vcpu_ioctl rejects KVM_RUN with a non-zero argument
	// (virt/kvm/kvm_main.c, `if (arg) goto out` with -EINVAL; always).
	It("fails KVM_RUN with a non-zero argument with EINVAL [ABI-3]", Label("ABI-3"), func() {
		vm := harness.CreateVM(sys, a)
		v, err := vm.CreateVCPU(0)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.InitVCPU(v, arch.InitOptions{})).To(Succeed())
		Expect(v.IoctlValue(uapi.KVM_RUN, 1)).To(Equal(kvm.Fail(unix.EINVAL)),
			"KVM_RUN with arg 1 on a fresh vCPU")
	})
})
