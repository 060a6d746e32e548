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
