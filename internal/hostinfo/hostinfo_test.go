package hostinfo

import (
	"reflect"
	"runtime"
	"testing"
)

func TestParse(t *testing.T) {
	// The host entry of a native run on a kvm_pvm host, before Info had
	// GOARCH (/work/shared/data/native-kvm_pvm/report.json).
	got, err := Parse("kernel 6.18.44-fc-v657 (x86_64), KVM modules: kvm,kvm_pvm, device /dev/kvm")
	want := Info{GOARCH: "amd64", Kernel: "6.18.44-fc-v657", Machine: "x86_64", Modules: []string{"kvm", "kvm_pvm"}, Device: "/dev/kvm"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse = %+v, %v; want %+v", got, err, want)
	}
	// String and Parse are inverses.
	for _, in := range []Info{want, {GOARCH: "riscv64", Kernel: "6.12.57+deb13-riscv64", Machine: "riscv64", Device: "/dev/kvm"}} {
		back, err := Parse(in.String())
		if err != nil || !reflect.DeepEqual(back, in) {
			t.Errorf("Parse(%q) = %+v, %v", in.String(), back, err)
		}
	}
	for _, bad := range []string{"", "host x86_64", "kernel 6.1 x86_64", "kernel 6.1 (x86_64), modules kvm", "kernel 6.1 (x86_64), KVM modules: kvm"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestRead(t *testing.T) {
	if got := Read("/dev/kvm"); got.GOARCH != runtime.GOARCH || got.Kernel == "" || got.Device != "/dev/kvm" {
		t.Fatalf("Read = %+v", got)
	}
	if g := GOARCHFor("aarch64"); g != "arm64" {
		t.Fatalf("GOARCHFor(aarch64) = %q", g)
	}
}

func TestParseCPUInfo(t *testing.T) {
	for _, tc := range []struct{ name, cpuinfo, vendor, model string }{
		{"x86", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n", "AuthenticAMD", "AMD EPYC"},
		{"arm64", "processor\t: 0\nBogoMIPS\t: 125.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd0c\nCPU revision\t: 1\n", "ARM (0x41)", "CPU part 0xd0c, variant 0x1, revision 1"},
		{"ppc64le", "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: 1000.000000MHz\nrevision\t: 2.2 (pvr 004e 1202)\n\ntimebase\t: 512000000\nplatform\t: pSeries\nmodel\t\t: IBM pSeries (emulated by qemu)\nmachine\t\t: CHRP IBM pSeries (emulated by qemu)\n", "", "POWER9 (architected), altivec supported (CHRP IBM pSeries (emulated by qemu))"},
		{"riscv64", "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdch_zicbom\nmmu\t\t: sv57\nmvendorid\t: 0x0\nmarchid\t\t: 0x0\n", "0x0", "rv64imafdch_zicbom"},
		{"s390x", "vendor_id       : IBM/S390\n# processors    : 2\nprocessor 0: version = 00,  identification = 000000,  machine = 8561\n", "IBM/S390", "machine 8561"},
		{"empty", "", "", ""},
	} {
		v, m := ParseCPUInfo(tc.cpuinfo)
		if v != tc.vendor || m != tc.model {
			t.Errorf("%s: ParseCPUInfo = %q, %q; want %q, %q", tc.name, v, m, tc.vendor, tc.model)
		}
	}
	info := Info{GOARCH: "amd64", Machine: "x86_64", Kernel: "6.1.0-40-amd64", Device: "/dev/kvm", APIVersion: 12,
		CPUVendor: "AuthenticAMD", CPUModel: "AMD EPYC", Caps: []Cap{{Name: "IMMEDIATE_EXIT", Value: 1}, {Name: "X86_SMM", Err: "EINVAL"}}}
	want := []Fact{{"kernel", "6.1.0-40-amd64"}, {"GOARCH", "amd64 (x86_64)"}, {"KVM modules", "none"}, {"CPU", "AuthenticAMD, AMD EPYC"},
		{"KVM device", "/dev/kvm, API version 12"}, {"capabilities", "IMMEDIATE_EXIT=1 X86_SMM=EINVAL"}}
	if got := info.Facts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Facts = %q\nwant %q", got, want)
	}
}
