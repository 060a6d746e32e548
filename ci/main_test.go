package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/runner"
	"github.com/kvmconform/kvmconform/ci/internal/target"
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
	t.Chdir(t.TempDir()) // the default --out is created
	var stderr bytes.Buffer
	c, err := parse([]string{"run", "--arch", "aarch64", "--cache", "/tmp/c", "--ginkgo-args", "-ginkgo.label-filter=smoke"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if c.arch.GOARCH != "arm64" || c.kernel != "debian:bookworm" || c.opt.Timeout != 300*time.Second ||
		!reflect.DeepEqual(c.opt.RunArgs, []string{"--label-filter=smoke"}) || c.opt.Cache != "/tmp/c" ||
		!filepath.IsAbs(c.opt.Out) || !strings.HasSuffix(c.opt.Out, "out/qemu") {
		t.Fatalf("config %+v", c)
	}
	c, err = parse([]string{"run", "--arch", "riscv64"}, &stderr)
	if err != nil || c.kernel != "debian:trixie" {
		t.Fatalf("riscv64 default kernel: %+v %v", c, err)
	}
	// --arch is parsed once, into the whole target: its Debian name and
	// whether it boots come with it.
	for _, tc := range []struct {
		in   string
		want target.Arch
	}{
		{"ppc64el", target.Arch{GOARCH: "ppc64le", Debian: "ppc64el"}},
		{"x86_64", target.Arch{GOARCH: "amd64", Debian: "amd64"}},
		{"s390x", target.Arch{GOARCH: "s390x", Debian: "s390x", NoKVM: target.NoEmulation}},
	} {
		c, err := parse([]string{"run", "--arch", tc.in}, &stderr)
		if err != nil || c.arch != tc.want {
			t.Errorf("--arch %s: %+v, %v; want %+v", tc.in, c, err, tc.want)
		}
	}
	if g, err := parseProgram([]string{"--arch", "aarch64", "--cache", t.TempDir(), "--binary", os.Args[0], "--out", t.TempDir()}, &stderr); err != nil ||
		g.target().Arch != (target.Arch{GOARCH: "arm64", Debian: "arm64"}) {
		t.Errorf("ci program --arch aarch64: %+v, %v", g, err)
	}
	img := filepath.Join(t.TempDir(), "vmlinuz")
	os.WriteFile(img, []byte("k"), 0o644)
	if _, err := parse([]string{"run", "--arch", "amd64", "--kernel", img, "--modules", t.TempDir()}, &stderr); err != nil {
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
	t.Chdir(t.TempDir())
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
		{[]string{"bench", "--arch", "vax"}, `invalid value "vax" for flag -arch: unknown architecture "vax"`},
		{[]string{"bench", "--arch", "s390x"}, "--arch s390x: " + target.NoEmulation},
		{[]string{"run", "--arch", "mips64el", "--bundle", "/nonexistent/b.tar.gz"}, "--bundle: open /nonexistent/b.tar.gz"},
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
		{[]string{"run", "--arch", "amd64", "--ginkgo-args", "-ginkgo.randomize-all"}, "-ginkgo.randomize-all has no kvmconform run equivalent"},
		{[]string{"run", "--arch", "amd64", "--ginkgo-args", "-ginkgo.focus"}, "-ginkgo.focus needs a value"},
		{[]string{"run", "--arch", "amd64", "--label-filter", "a &&"}, `label filter "a &&"`},
		{[]string{"run", "--arch", "amd64", "--label-filter", "a", "--ginkgo-args", "-ginkgo.label-filter=b"}, "a label filter in both"},
		{[]string{"run", "--arch", "amd64", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--matrix", "--bundle", "kvmconform-arm64.tar.gz"}, "--bundle holds one architecture's binary"},
		{[]string{"run", "--arch", "arm64", "--bundle", "/nonexistent/kvmconform-arm64.tar.gz"}, "--bundle: open /nonexistent/kvmconform-arm64.tar.gz: no such file"},
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
	t.Chdir(t.TempDir())
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

// unreadableFile returns a regular file this process cannot read: a
// chmod'ed file, or as root (which reads any file) a write-only sysctl; ""
// when there is none.
func unreadableFile(t *testing.T) string {
	if os.Geteuid() != 0 {
		f := filepath.Join(t.TempDir(), "unreadable")
		os.WriteFile(f, []byte("k"), 0o000)
		return f
	}
	for _, f := range []string{"/proc/sys/vm/compact_memory", "/proc/sys/vm/drop_caches"} {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			if _, err := os.Open(f); errors.Is(err, os.ErrPermission) {
				return f
			}
		}
	}
	return ""
}

// TestFileFlags plants every kind of bad file and directory behind the
// flags that name one: each is a usage error (exit 2) before anything is
// built or booted, naming the flag and the cause; a named file that does
// not exist is never taken for an empty one.
func TestFileFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	img := filepath.Join(dir, "vmlinuz")
	os.WriteFile(img, []byte("kernel"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "a-file") // --out below it cannot be made
	os.WriteFile(blocker, []byte("x"), 0o644)
	bin := filepath.Join(dir, "prog")
	os.WriteFile(bin, []byte("\x7fELF"), 0o755)
	type flagCase struct {
		args []string
		want string
	}
	cases := []flagCase{
		{[]string{"run", "--arch", "amd64", "--kernel", "/nonexistent/vmlinuz"}, "--kernel /nonexistent/vmlinuz: not debian:<release>, not build:<recipe> and not a readable file: stat /nonexistent/vmlinuz: no such file or directory"},
		{[]string{"run", "--arch", "amd64", "--kernel", empty}, empty + " is empty"},
		{[]string{"run", "--arch", "amd64", "--kernel", dir}, dir + " is not a regular file"},
		{[]string{"run", "--arch", "amd64", "--kernel", fifo}, fifo + " is not a regular file"},
		{[]string{"run", "--arch", "amd64", "--kernel", img, "--modules", "/nonexistent/lib"}, "--modules: open /nonexistent/lib: no such file or directory"},
		{[]string{"run", "--arch", "amd64", "--kernel", img, "--modules", img}, "--modules: " + img + " is not a directory"},
		{[]string{"run", "--arch", "amd64", "--src", "/nonexistent/src"}, "--src: open /nonexistent/src: no such file or directory"},
		{[]string{"run", "--arch", "amd64", "--out", filepath.Join(blocker, "qemu")}, "--out: mkdir " + blocker + ": not a directory"},
		{[]string{"run", "--matrix", "--out", blocker}, "--out: mkdir " + blocker + ": not a directory"},
		{[]string{"run", "--matrix", "--cache", blocker}, "--cache: " + blocker + " is not a directory"},
		{[]string{"bench", "--arch", "amd64", "--cache", blocker}, "--cache: " + blocker + " is not a directory"},
		{[]string{"run", "--matrix", "--expect", "/nonexistent/waivers.yaml"}, "expectations file /nonexistent/waivers.yaml does not exist"},
		{[]string{"run", "--matrix", "--expect", dir}, "--expect: expectations file: read " + dir + ": is a directory"},
		{[]string{"bench", "--arch", "amd64", "--kernel", "/nonexistent/vmlinuz"}, "not a readable file"},
		{[]string{"bench", "--arch", "amd64", "--kernel", img, "--modules", "/nonexistent/lib"}, "--modules: open /nonexistent/lib"},
		{[]string{"bench", "--arch", "amd64", "--out", filepath.Join(blocker, "bench")}, "--out: mkdir " + blocker + ": not a directory"},
		{[]string{"program", "--arch", "amd64", "--binary", "/nonexistent/prog", "--out", dir}, "--binary: stat /nonexistent/prog: no such file or directory"},
		{[]string{"program", "--arch", "amd64", "--binary", dir, "--out", dir}, "--binary: " + dir + " is not a regular file"},
		{[]string{"program", "--arch", "amd64", "--binary", empty, "--out", dir}, "--binary: " + empty + " is empty"},
		{[]string{"program", "--arch", "amd64", "--binary", bin, "--out", filepath.Join(blocker, "o")}, "--out: mkdir " + blocker + ": not a directory"},
		{[]string{"program", "--arch", "amd64", "--kernel", fifo, "--binary", bin, "--out", dir}, fifo + " is not a regular file"},
	}
	// An unreadable kernel passed os.Stat and failed in QEMU 30 s later.
	if f := unreadableFile(t); f != "" {
		cases = append(cases,
			flagCase{[]string{"run", "--arch", "amd64", "--kernel", f}, "open " + f + ": permission denied"},
			flagCase{[]string{"program", "--arch", "amd64", "--binary", f, "--out", dir}, "--binary: open " + f + ": permission denied"})
	} else {
		t.Log("no unreadable file here; that case is not checked")
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := realMain(tc.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	if _, err := os.Stat("out"); !os.IsNotExist(err) {
		t.Errorf("a rejected command line created the default output directory: %v", err)
	}
}

func TestTranslateGinkgoArgs(t *testing.T) {
	got, err := translateGinkgoArgs([]string{"-ginkgo.label-filter=!slow && x86", "--ginkgo.focus", `MP-X"7`, "-ginkgo.v", "-skip=stress", "--label-filter=CMP-4"})
	want := []string{"--label-filter=!slow && x86", `--focus=MP-X"7`, "--skip=stress", "--label-filter=CMP-4"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("translateGinkgoArgs = %q, %v; want %q", got, err, want)
	}
	c, err := parse([]string{"run", "--arch", "arm64", "--label-filter", "CMP-8", "--focus", "ldrs", "--skip", "x", "--focus", "y"}, &bytes.Buffer{})
	if err != nil || !reflect.DeepEqual(c.opt.RunArgs, []string{"--label-filter=CMP-8", "--focus=ldrs", "--focus=y", "--skip=x"}) {
		t.Errorf("filter flags: %+v %v", c, err)
	}
}

// TestMatrixReport writes the matrix page over two real rows (the reports
// package's test data) and a row that wrote no directory.
func TestMatrixReport(t *testing.T) {
	out := t.TempDir()
	rows := []results.Row{
		{Arch: "amd64", Kernel: "debian:bookworm", Dir: "../reports/testdata/amd64-debian-bookworm"},
		{Arch: "amd64", Kernel: "debian:trixie", Dir: "../reports/testdata/amd64-debian-trixie"},
		{Arch: "s390x", Note: "cross-built only"},
	}
	list, err := expectations.Load()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := matrixReport(out, rows, list)
	if err != nil || !strings.Contains(msg, "2 rows") {
		t.Fatalf("%q, %v", msg, err)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(html), ">amd64 debian:bookworm</th>") || !strings.Contains(string(html), ">amd64 debian:trixie</th>") {
		t.Errorf("report.html: %v", err)
	}
	for _, f := range []string{"ktap.txt", "summary.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestParseJobsShard(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parse([]string{"run", "--matrix", "--jobs", "3", "--shard", "2/4", "--cache", "/tmp/c"}, &stderr)
	if err != nil || c.matrixOpt.Jobs != 3 || c.matrixOpt.Shard != (runner.Shard{Index: 2, Count: 4}) {
		t.Fatalf("--jobs 3 --shard 2/4: %+v %v", c, err)
	}
	for args, want := range map[string]string{
		"--arch amd64 --jobs 2":    "--jobs and --shard go with --matrix",
		"--arch amd64 --shard 1/2": "--jobs and --shard go with --matrix",
		"--matrix --jobs 0":        "--jobs 0: must be at least 1",
		"--matrix --shard 3/2":     `--shard: shard "3/2": want 1 <= i <= n`,
		"--matrix --shard x":       `--shard: shard "x": want i/n`,
	} {
		_, err := parse(append([]string{"run", "--cache", "/tmp/c"}, strings.Fields(args)...), &stderr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

// --stress is the guests' stress budget: 3s unless it says full or another
// duration.
func TestParseStress(t *testing.T) {
	var stderr bytes.Buffer
	for args, want := range map[string]string{
		"":                       "3s",
		"--stress full":          "full",
		"--stress 30s":           "30s",
		"--stress=500ms":         "500ms",
		"--matrix --stress full": "full",
	} {
		base := []string{"run", "--cache", "/tmp/c"}
		if !strings.Contains(args, "--matrix") {
			base = append(base, "--arch", "amd64")
		}
		c, err := parse(append(base, strings.Fields(args)...), &stderr)
		if err != nil || c.opt.Stress == nil || c.opt.Stress.String() != want {
			t.Errorf("%q: %+v %v, want stress budget %s", args, c, err, want)
		}
	}
	for _, bad := range []string{"quick", "0s", "3"} {
		_, err := parse([]string{"run", "--cache", "/tmp/c", "--arch", "amd64", "--stress", bad}, &stderr)
		if err == nil || !strings.Contains(err.Error(), `--stress: stress budget "`+bad+`"`) {
			t.Errorf("--stress %s: %v", bad, err)
		}
	}
}
