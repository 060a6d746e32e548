package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/expectations"
)

func TestSplitArgs(t *testing.T) {
	for in, want := range map[string][]string{
		"":                                    nil,
		"  -a  -b ":                           {"-a", "-b"},
		`-ginkgo.label-filter='!slow && x86'`: {"-ginkgo.label-filter=!slow && x86"},
		`-ginkgo.focus="MP-X\"7" -ginkgo.v`:   {`-ginkgo.focus=MP-X"7`, "-ginkgo.v"},
		`-x=a\ b`:                             {"-x=a b"},
		`''`:                                  {""},
	} {
		got, err := splitArgs(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`'open`, `"open`, `trailing\`} {
		if _, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%q) accepted", bad)
		}
	}
}

func TestParse(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parse([]string{"run", "--arch", "aarch64", "--cache", "/tmp/c", "--ginkgo-args", "-ginkgo.label-filter=smoke"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if c.arch != "arm64" || c.kernel != "debian:bookworm" || c.opt.Timeout != 300*time.Second ||
		!reflect.DeepEqual(c.opt.GinkgoArgs, []string{"-ginkgo.label-filter=smoke"}) || c.opt.Cache != "/tmp/c" ||
		!filepath.IsAbs(c.opt.Out) || !strings.HasSuffix(c.opt.Out, "out/qemu") {
		t.Fatalf("config %+v", c)
	}
	c, err = parse([]string{"run", "--arch", "riscv64"}, &stderr)
	if err != nil || c.kernel != "debian:trixie" {
		t.Fatalf("riscv64 default kernel: %+v %v", c, err)
	}
	img := filepath.Join(t.TempDir(), "vmlinuz")
	os.WriteFile(img, []byte("k"), 0o644)
	if _, err := parse([]string{"run", "--arch", "amd64", "--kernel", img, "--modules", "/x"}, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"debian:trixie=6.12.117-1", "debian:bookworm=6.1.192-3"} {
		if c, err := parse([]string{"run", "--arch", "ppc64le", "--kernel", k}, &stderr); err != nil || c.kernel != k {
			t.Errorf("pinned %s: %+v %v", k, c, err)
		}
	}
	if c, err := parse([]string{"run", "--matrix", "-v"}, &stderr); err != nil || !c.matrix || c.opt.Console == nil {
		t.Fatalf("matrix: %+v %v", c, err)
	}
	// The shipped expectations, then each --expect file.
	shipped, err := expectations.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	waivers := filepath.Join(t.TempDir(), "waivers.yaml")
	os.WriteFile(waivers, []byte("- {id: CMP-4, arch: amd64, kind: kernel bug, reason: r}\n"), 0o644)
	c, err = parse([]string{"run", "--matrix", "--expect", waivers, "--expect", waivers}, &stderr)
	if err != nil || len(c.opt.Expect) != len(shipped)+2 || c.opt.Expect[len(shipped)].Where() != waivers+":1" {
		t.Fatalf("--expect: %v %v", c.opt.Expect, err)
	}
}

func TestBadFlags(t *testing.T) {
	badExpect := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badExpect, []byte("- id: CMP-2\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, `missing command "run"`},
		{[]string{"boot"}, `unknown command "boot"`},
		{[]string{"run"}, "give --arch"},
		{[]string{"run", "--arch", "vax"}, `unknown architecture "vax"`},
		{[]string{"run", "--arch", "amd64", "--kernel", "debian:buster"}, "want debian:bookworm, debian:trixie"},
		{[]string{"run", "--arch", "amd64", "--kernel", "/nonexistent/vmlinuz"}, "not a readable file"},
		{[]string{"run", "--arch", "amd64", "--kernel", "debian:buster=10.1-1"}, "want debian:bookworm, debian:trixie"},
		{[]string{"run", "--arch", "amd64", "--kernel", "debian:trixie="}, `--kernel debian:trixie=: no version after "debian:trixie=": want e.g. debian:trixie=6.12.117-1`},
		{[]string{"run", "--arch", "amd64", "--kernel", "debian:trixie=newest"}, `"newest" is not a Debian package version`},
		{[]string{"run", "--arch", "amd64", "--kernel", "debian:trixie=linux-image-6.12.117+deb13-cloud-amd64"}, "not its name"},
		{[]string{"run", "--arch", "amd64", "--kernel", "debian:trixie=6.1.192-3"}, "debian:trixie ships 6.12 kernels"},
		{[]string{"run", "--arch", "riscv64", "--kernel", "debian:bookworm=6.1.192-3"}, "bookworm has no riscv64 kernel"},
		{[]string{"run", "--arch", "amd64", "--kernel", "debian:trixie=6.12.117-1", "--modules", "/x"}, "--modules goes with a kernel image file"},
		{[]string{"bench", "--arch", "amd64", "--kernel", "debian:trixie=x"}, `"x" is not a Debian package version`},
		{[]string{"run", "--arch", "amd64", "--modules", "/x"}, "--modules goes with a kernel image file"},
		{[]string{"run", "--matrix", "--arch", "amd64"}, "do not combine"},
		{[]string{"run", "--arch", "riscv64", "--kernel", "debian:bookworm"}, "bookworm has no riscv64 kernel"},
		{[]string{"run", "--arch", "amd64", "--timeout", "2s"}, "at least 10s"},
		{[]string{"run", "--arch", "amd64", "--timeout", "soon"}, "invalid value"},
		{[]string{"run", "--arch", "amd64", "--ginkgo-args", "'oops"}, "unterminated single quote"},
		{[]string{"run", "--arch", "amd64", "--ginkgo-args", "smoke"}, `"smoke" is not a flag`},
		{[]string{"run", "--arch", "amd64", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--arch", "amd64", "--expect", "/nonexistent/waivers.yaml"}, "--expect: expectations file /nonexistent/waivers.yaml does not exist"},
		{[]string{"run", "--matrix", "--expect", badExpect}, `--expect: ` + badExpect + `:1: entry 1 (CMP-2): missing arch`},
		{[]string{"run", "--arch", "amd64", "--known", "ci/known-failures.json"}, "flag provided but not defined: -known"},
	} {
		var stdout, stderr bytes.Buffer
		code := realMain(tc.args, &stdout, &stderr)
		msg := stderr.String()
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, msg, tc.want)
		}
		prefix := "ci: bad flag value: "
		if len(tc.args) > 0 && tc.args[0] == "bench" {
			prefix = "ci bench: bad flag value: "
		}
		if !strings.Contains(msg, prefix) {
			t.Errorf("%q: stderr %q", tc.args, msg)
		}
	}
}

// TestImports keeps ci/ independent of the suites and the code they test.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "./...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, bad := range []string{"/kvm", "/arch", "/guests", "/suites", "/internal/uapi"} {
			p := "github.com/kvmconform/kvmconform" + bad
			if pkg == p || strings.HasPrefix(pkg, p+"/") {
				t.Errorf("ci depends on %s", pkg)
			}
		}
	}
}

// TestVerboseConsoleIsSanitised: -v copies the guest console to the
// terminal without the escape sequences a guest may send.
func TestVerboseConsoleIsSanitised(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parse([]string{"run", "--arch", "amd64", "-v"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	var bstderr bytes.Buffer
	b, err := parseBench([]string{"--arch", "amd64", "-v"}, &bstderr)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		console io.Writer
		out     *bytes.Buffer
	}{{c.opt.Console, &stderr}, {b.opt.Console, &bstderr}} {
		w.out.Reset()
		w.console.Write([]byte("\x1b]0;title\x07\x1b[2Jboot\r\n\x1b[31mred\x1b[0m\n"))
		if got := w.out.String(); got != "boot\nred\n" {
			t.Errorf("-v wrote %q", got)
		}
	}
}
