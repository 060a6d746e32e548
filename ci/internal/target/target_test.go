package target

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"amd64": "amd64", "x86_64": "amd64", "aarch64": "arm64", "ppc64el": "ppc64le",
		"PPC64LE": "ppc64le", "riscv64": "riscv64", "mips64el": "mips64le", "s390x": "s390x",
	} {
		a, err := Parse(in)
		if err != nil || a.GOARCH != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, a, err, want)
		}
	}
	if _, err := Parse("sparc64"); err == nil {
		t.Error("unknown arch accepted")
	}
	for _, a := range All() {
		bootable := a.GOARCH != "s390x" && a.GOARCH != "mips64le"
		if a.Bootable() != bootable {
			t.Errorf("%s: Bootable() = %v", a, a.Bootable())
		}
	}
	if a, _ := Parse("ppc64le"); a.Debian != "ppc64el" {
		t.Errorf("ppc64le Debian name %q", a.Debian)
	}
}

// *Arch is a flag.Value: --arch is parsed once, into the whole Arch.
func TestFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var a Arch
	fs.Var(&a, "arch", "")
	if !a.IsZero() || a.String() != "" {
		t.Errorf("unset: %+v", a)
	}
	if err := fs.Parse([]string{"--arch", "ppc64el"}); err != nil {
		t.Fatal(err)
	}
	if a != (Arch{GOARCH: "ppc64le", Debian: "ppc64el"}) || a.IsZero() || a.String() != "ppc64le" {
		t.Errorf("--arch ppc64el: %+v", a)
	}
	err := fs.Parse([]string{"--arch", "vax"})
	if err == nil || !strings.Contains(err.Error(), `unknown architecture "vax"`) {
		t.Errorf("--arch vax: %v", err)
	}
	if a.GOARCH != "ppc64le" {
		t.Errorf("a rejected value changed the flag: %+v", a)
	}
}
