package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/ci/internal/frame"
	"github.com/kvmconform/kvmconform/ci/internal/gobuild"
	"github.com/kvmconform/kvmconform/ci/internal/guestconf"
	"github.com/kvmconform/kvmconform/ci/internal/kernel"
	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/results"
	"github.com/kvmconform/kvmconform/ci/internal/target"
	"github.com/kvmconform/kvmconform/expectations"
)

// --- analysis of console output (no QEMU) ---

func report(t *testing.T, passed, failed int) []byte {
	t.Helper()
	r := types.Report{SuiteDescription: "ABI", SuiteSucceeded: failed == 0}
	for i := 0; i < passed; i++ {
		r.SpecReports = append(r.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeIt, State: types.SpecStatePassed})
	}
	for i := 0; i < failed; i++ {
		r.SpecReports = append(r.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeIt, State: types.SpecStateFailed})
	}
	data, err := json.Marshal([]types.Report{r})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type console struct{ bytes.Buffer }

func (c *console) frame(t *testing.T, name string, data []byte) *console {
	t.Helper()
	if err := frame.Encode(&c.Buffer, name, data, true); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *console) meta(t *testing.T, m guestconf.Meta) *console {
	data, _ := json.Marshal(m)
	return c.frame(t, guestconf.FrameMeta, data)
}

func (c *console) line(s string) *console { c.WriteString(s + "\n"); return c }

func analyse(t *testing.T, res *qemu.Result, suites ...string) (results.Counts, error, string) {
	t.Helper()
	counts, _, err, dir := analyseWith(t, nil, res, suites...)
	return counts, err, dir
}

func analyseWith(t *testing.T, expect []expectations.Expectation, res *qemu.Result, suites ...string) (results.Counts, *expectations.Result, error, string) {
	t.Helper()
	r := &Runner{opt: Options{Timeout: 42 * time.Second, Expect: expect}}
	dir := filepath.Join(t.TempDir(), "out")
	stage, err := results.NewStage(dir)
	if err != nil {
		t.Fatal(err)
	}
	var meta Metadata
	counts, _, verdict, gerr := r.analyse(res, guestconf.Config{Suites: suites}, &meta, stage, "qemu-system-x86_64", "amd64")
	if err := stage.Commit(); err != nil {
		t.Fatal(err)
	}
	return counts, verdict, gerr, dir
}

// TestAnalyseExpectations: the expectations apply to a row with the host the
// suites recorded in the guest (or, without that entry, the guest's
// description) and the row's GOARCH.
func TestAnalyseExpectations(t *testing.T) {
	list, err := expectations.Parse("e.yaml", []byte(`
- {id: IE-6, case: "kvm_*_regs bit 63", arch: amd64, kernel: "6.12.*", module: kvm_amd, kind: kernel bug, reason: Bits 32-63 accepted.}
`))
	if err != nil {
		t.Fatal(err)
	}
	suite := func(hostJSON string) []byte {
		r := types.Report{SuitePath: "/tmp", SuiteSucceeded: false, SpecReports: types.SpecReports{
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "kvm_valid_regs bit 63", LeafNodeLabels: []string{"IE-6"}, State: types.SpecStateFailed},
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "kvm_valid_regs bit 3", LeafNodeLabels: []string{"IE-6"}, State: types.SpecStatePassed},
		}}
		if hostJSON != "" {
			r.SpecReports = append(types.SpecReports{{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed,
				ReportEntries: []types.ReportEntry{{Name: "host", Value: types.WrapEntryValue(json.RawMessage(hostJSON))}}}}, r.SpecReports...)
		}
		data, err := json.Marshal([]types.Report{r})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, tc := range []struct {
		name, host string
		meta       guestconf.Meta
		want       results.Counts
	}{
		{"host entry", `{"goarch":"amd64","kernel":"6.12.57+deb13-amd64","machine":"x86_64","modules":["kvm","kvm_amd"],"device":"/dev/kvm"}`,
			guestconf.Meta{KernelRelease: "6.1.0-40-amd64"}, results.Counts{Passed: 1, Expected: 1}},
		{"another kernel", `{"goarch":"amd64","kernel":"6.1.0-40-amd64","machine":"x86_64","modules":["kvm","kvm_amd"],"device":"/dev/kvm"}`,
			guestconf.Meta{}, results.Counts{Passed: 1, Failed: 1}},
		{"old host string", `"kernel 6.12.57+deb13-amd64 (x86_64), KVM modules: kvm,kvm_amd, device /dev/kvm"`,
			guestconf.Meta{}, results.Counts{Passed: 1, Expected: 1}},
		{"guest description", "", guestconf.Meta{KernelRelease: "6.12.57+deb13-amd64", ProcModules: []string{"kvm_amd 155648 0 - Live 0x0", "kvm 1171456 1 kvm_amd, Live 0x0"}},
			results.Counts{Passed: 1, Expected: 1}},
		{"guest description, other module", "", guestconf.Meta{KernelRelease: "6.12.57+deb13-amd64", ProcModules: []string{"kvm_intel 1 0 - Live"}},
			results.Counts{Passed: 1, Failed: 1}},
	} {
		var c console
		c.frame(t, "immediateexit.json", suite(tc.host)).
			meta(t, func() guestconf.Meta {
				m := tc.meta
				m.Suites = []guestconf.SuiteRun{{Name: "immediateexit", ExitCode: 1, Report: true}}
				return m
			}()).
			line(frame.ExitLine(1))
		counts, verdict, err, _ := analyseWith(t, list, &qemu.Result{Console: c.Bytes(), Finished: true}, "immediateexit")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if counts != tc.want || verdict == nil || verdict.Host.GOARCH != "amd64" {
			t.Errorf("%s: counts %+v, verdict %+v", tc.name, counts, verdict)
		}
	}
}

func TestAnalyseSuccess(t *testing.T) {
	var c console
	c.line("[    0.000000] Linux version 6.1.0").line("Ginkgo output").
		frame(t, "abi.json", report(t, 3, 1)).
		frame(t, "kicks.json", report(t, 2, 0)).
		meta(t, guestconf.Meta{KernelRelease: "6.1.0-56-cloud-amd64", ProcModules: []string{"kvm_amd 1 0 - Live"},
			Suites: []guestconf.SuiteRun{{Name: "abi", ExitCode: 1, Report: true}, {Name: "kicks", Report: true}}}).
		frame(t, guestconf.FrameDmesg, []byte("dmesg line\n")).
		line(frame.ExitLine(1))
	counts, err, dir := analyse(t, &qemu.Result{Console: c.Bytes(), Finished: true}, "abi", "kicks")
	if err != nil {
		t.Fatal(err)
	}
	if counts != (results.Counts{Passed: 5, Failed: 1}) {
		t.Fatalf("counts %+v", counts)
	}
	for _, f := range []string{"abi.json", "abi.junit.xml", "kicks.json", "kicks.junit.xml", "console.log", "dmesg.log"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestAnalyseErrors(t *testing.T) {
	good := func() *console {
		var c console
		return c.frame(t, "abi.json", report(t, 1, 0))
	}
	for _, tc := range []struct {
		name    string
		console func() []byte
		res     qemu.Result
		want    string
	}{
		{
			name: "truncated report",
			console: func() []byte {
				var c console
				c.frame(t, "abi.json", report(t, 50, 0))
				b := c.Bytes()
				return b[:len(b)/2]
			},
			res:  qemu.Result{ExitErr: errors.New("exit status 1")},
			want: "report frame abi.json: truncated",
		},
		{
			name: "checksum mismatch",
			console: func() []byte {
				b := good().line(frame.ExitLine(0)).Bytes()
				i := bytes.Index(b, []byte("\n|")) + 10
				if b[i] == 'A' {
					b[i] = 'B'
				} else {
					b[i] = 'A'
				}
				return b
			},
			res:  qemu.Result{Finished: true},
			want: "report frame abi.json: checksum mismatch",
		},
		{
			name: "kernel panic",
			console: func() []byte {
				var c console
				return c.line("exitinit: exiting as PID 1").line("[    2.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000\r").
					line("[    2.2] ---[ end Kernel panic ]---").Bytes()
			},
			want: "kernel panic: Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000; console before it: exitinit: exiting as PID 1",
		},
		{
			name: "oops then panic",
			console: func() []byte {
				var c console
				return c.line("mmio-load-movw: 2-byte zero-extending load into rax").line("/work/main/suites/immediateexit/completion_test.go:44").
					line("[    4.391438] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI").
					line("[    4.393109] CPU: 1 UID: 0 PID: 151 Comm: immediateexit.t Not tainted 6.12.117+deb13-cloud-amd64 #1  Debian 6.12.117-1").
					line("[    4.393291] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 0.1 11/11/2019").
					line("[    4.393423] RIP: 0010:__schedule+0x432/0xbe0").
					line("[    4.394391] RSP: 0018:ffffce7b0042ba78 EFLAGS: 00000046").
					line("[    4.398827] Kernel panic - not syncing: Fatal exception in interrupt").Bytes()
			},
			want: "kernel panic: Kernel panic - not syncing: Fatal exception in interrupt; first oops: Oops: int3: 0000 [#1] PREEMPT SMP NOPTI / " +
				"CPU: 1 UID: 0 PID: 151 Comm: immediateexit.t Not tainted 6.12.117+deb13-cloud-amd64 #1  Debian 6.12.117-1 / RIP: 0010:__schedule+0x432/0xbe0; " +
				"console before it: mmio-load-movw: 2-byte zero-extending load into rax | /work/main/suites/immediateexit/completion_test.go:44",
		},
		{
			name:    "hang",
			console: func() []byte { var c console; return c.line("sleepinit: sleeping forever").Bytes() },
			res:     qemu.Result{TimedOut: true},
			want:    "guest hang: no exit marker within the host deadline of 42s, QEMU killed; console tail: sleepinit: sleeping forever",
		},
		{
			name: "no kvm",
			console: func() []byte {
				var c console
				p, _ := json.Marshal(guestconf.Problem{Kind: guestconf.ProblemNoKVM,
					Message: "nested virtualisation did not come up: /dev/kvm missing in the guest (open /dev/kvm: no such device)"})
				return c.frame(t, guestconf.FrameProblem, p).frame(t, guestconf.FrameDmesg, []byte("kvm: no hardware support for 'kvm_amd'\n")).
					line(frame.ExitLine(3)).Bytes()
			},
			res:  qemu.Result{Finished: true},
			want: "nested virtualisation did not come up: /dev/kvm missing in the guest (open /dev/kvm: no such device); dmesg tail: kvm: no hardware support for 'kvm_amd'",
		},
		{
			name: "no report",
			console: func() []byte {
				var c console
				return c.meta(t, guestconf.Meta{Suites: []guestconf.SuiteRun{{Name: "abi", ExitCode: 2}}}).line(frame.ExitLine(1)).Bytes()
			},
			res:  qemu.Result{Finished: true},
			want: "suite abi sent no report (exit status 2)",
		},
		{
			name:    "qemu failed",
			console: func() []byte { return nil },
			res:     qemu.Result{ExitErr: errors.New("exit status 1"), Stderr: "qemu-system-x86_64: -M q35: unsupported machine\n"},
			want:    "qemu-system-x86_64 exited (exit status 1) before the guest finished: qemu-system-x86_64: -M q35: unsupported machine",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.res
			res.Console = tc.console()
			_, err, dir := analyse(t, &res, "abi")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "console.log")); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestKernelLabelAndMatrix(t *testing.T) {
	if KernelLabel("debian:trixie") != "debian-trixie" || KernelLabel("/boot/vmlinuz-6.9 x") != "vmlinuz-6.9-x" {
		t.Fatal("labels")
	}
	// A pinned Debian kernel: its own output directory, the pin shown in
	// the table.
	pinned := "debian:trixie=6.12.117-1"
	if KernelLabel(pinned) != "debian-trixie-6.12.117-1" || KernelName(pinned) != pinned {
		t.Fatalf("pinned: label %q name %q", KernelLabel(pinned), KernelName(pinned))
	}
	r := &Runner{}
	if _, err := r.Kernel(t.Context(), Target{Kernel: "debian:trixie=tip"}); err == nil || !strings.Contains(err.Error(), `--kernel debian:trixie=tip: "tip" is not a Debian package version`) {
		t.Errorf("bad pin: %v", err)
	}
	var got []string
	for _, tg := range MatrixTargets() {
		name := tg.Arch.GOARCH + "/" + tg.Kernel
		if tg.Variant != "" {
			name += "/" + tg.Variant
		}
		got = append(got, name)
	}
	want := "amd64/debian:bookworm amd64/debian:trixie arm64/debian:bookworm arm64/debian:trixie arm64/debian:bookworm/nvhe arm64/debian:trixie/nvhe " +
		"ppc64le/debian:bookworm ppc64le/debian:trixie ppc64le/build:ppc64le-pr/pr ppc64le/debian:bookworm/powernv ppc64le/debian:trixie/powernv riscv64/debian:trixie"
	if strings.Join(got, " ") != want {
		t.Fatalf("matrix = %v", got)
	}
	var cross []string
	for _, a := range MatrixCrossOnly() {
		cross = append(cross, a.GOARCH)
	}
	if strings.Join(cross, " ") != "s390x mips64le" {
		t.Fatalf("cross = %v", cross)
	}
}

// --- real boots with planted inits ---

// bootKernel returns a cached Debian amd64 kernel and the cache it is in, or
// skips when there is none or no QEMU.
func bootKernel(t *testing.T) (target.Arch, *kernel.Kernel, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("boots QEMU; skipped with -short")
	}
	a, _ := target.Parse("amd64")
	m, _ := qemu.For(a)
	if _, err := m.Check(); err != nil {
		t.Skipf("QEMU not available: %v", err)
	}
	cache := os.Getenv("KVMCONFORM_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			t.Skip("no cache directory")
		}
		cache = filepath.Join(dir, "kvmconform")
	}
	for _, rel := range kernel.Releases {
		if k, err := kernel.Cached(cache, a, rel); err == nil {
			return a, k, cache
		}
	}
	t.Skipf("no cached Debian amd64 kernel in %s (run `go run ./ci run --arch amd64` once)", cache)
	return a, nil, ""
}

func buildInit(t *testing.T, goarch, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "init")
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	return out
}

// bootTimeout is the host deadline of a test boot. It is long, so that no
// verdict depends on how fast the machine boots (TCG on a loaded machine can
// take minutes before the kernel prints anything), and it ends before go
// test's -timeout, so a boot that really hangs fails its test with the
// console tail instead of killing the test binary.
func bootTimeout(t *testing.T) time.Duration {
	d := 20 * time.Minute
	if dl, ok := t.Deadline(); ok {
		d = min(d, time.Until(dl)-time.Minute)
	}
	return max(d, time.Minute).Truncate(time.Second)
}

// boot boots init with k's image (and, withModules, its KVM modules);
// setup, if set, adjusts the runner first.
func boot(t *testing.T, a target.Arch, k *kernel.Kernel, init string, withModules bool, setup func(*Runner)) (results.Row, string) {
	t.Helper()
	modules := ""
	if withModules && len(k.Modules) > 0 {
		modules = filepath.Dir(k.Modules[0].Path)
	}
	return bootTarget(t, Target{Arch: a, Kernel: k.Image, Modules: modules}, "", init, setup)
}

// bootTarget boots init on tg with the kernel cache cache and returns the
// row and the output directory.
func bootTarget(t *testing.T, tg Target, cache, init string, setup func(*Runner)) (results.Row, string) {
	t.Helper()
	out := t.TempDir()
	var log bytes.Buffer
	r, err := New(Options{Out: out, Cache: cache, Timeout: bootTimeout(t), Init: init, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(r.tmp); !os.IsNotExist(err) {
			t.Errorf("temporary directory %s left behind", r.tmp)
		}
	}()
	if setup != nil {
		setup(r)
	}
	row := r.Boot(t.Context(), tg)
	return row, filepath.Join(out, tg.Arch.GOARCH+"-"+KernelLabel(tg.Kernel))
}

// TestBootPlantedPanic: the init exits, the kernel panics, QEMU exits
// (-no-reboot). The message says so, not "guest hang", however long the
// boot took.
func TestBootPlantedPanic(t *testing.T) {
	a, k, _ := bootKernel(t)
	init := buildInit(t, a.GOARCH, "./testdata/exitinit")
	row, dir := boot(t, a, k, init, false, nil)
	t.Logf("%s", ProgressLine(row))
	if row.Err == nil || !strings.HasPrefix(row.Err.Error(), "kernel panic: Kernel panic - not syncing: Attempted to kill init!") {
		t.Fatalf("err = %v", row.Err)
	}
	if !strings.Contains(row.Err.Error(), "console before it: ") || !strings.Contains(row.Err.Error(), "exitinit: exiting as PID 1") {
		t.Errorf("no console tail: %v", row.Err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "console.log")); err != nil || !bytes.Contains(b, []byte("exitinit: exiting as PID 1")) {
		t.Errorf("console.log: %v", err)
	}
}

// sleepMarker is what sleepinit prints once it runs; it never exits.
const sleepMarker = "sleepinit: sleeping forever"

// markerWatch is a console writer that closes seen once the console
// contains marker.
type markerWatch struct {
	marker string
	mu     sync.Mutex
	buf    []byte
	seen   chan struct{}
	once   sync.Once
}

func (w *markerWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	found := bytes.Contains(w.buf, []byte(w.marker))
	w.mu.Unlock()
	if found {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// deadlineAfterMarker is a fake clock for qemu.Run whose deadline (the
// first timer) comes as soon as w has seen its marker, or at the latest
// when the real deadline passes; later timers are real.
func deadlineAfterMarker(w *markerWatch) func(time.Duration) <-chan time.Time {
	var calls atomic.Int32
	return func(d time.Duration) <-chan time.Time {
		if calls.Add(1) > 1 {
			return time.After(d)
		}
		c := make(chan time.Time, 1)
		go func() {
			select {
			case <-w.seen:
			case <-time.After(d):
			}
			c <- time.Now()
		}()
		return c
	}
}

// TestBootPlantedHang boots an init that prints its marker and then never
// exits. The hang is recognised by what the guest did: once the marker is
// on the console the guest can only be silent, so the test's clock reaches
// the host deadline then, however long the kernel took to get there; the
// message must name the hang and carry the marker in its console tail. It
// runs twice: as fast as the machine boots, and with a planted slow start
// (QEMU begins 15 s late, later than the 12 s deadline this test once had
// and lost to a loaded machine).
func TestBootPlantedHang(t *testing.T) {
	a, k, _ := bootKernel(t)
	init := buildInit(t, a.GOARCH, "./testdata/sleepinit")
	for _, tc := range []struct {
		name  string
		delay int // seconds before QEMU starts
	}{{"as fast as it boots", 0}, {"slow start", 15}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.delay > 0 {
				slowQEMU(t, a, tc.delay)
			}
			w := &markerWatch{marker: sleepMarker, seen: make(chan struct{})}
			var timeout time.Duration
			row, dir := boot(t, a, k, init, false, func(r *Runner) {
				r.opt.Console = w
				r.after = deadlineAfterMarker(w)
				timeout = r.opt.Timeout
			})
			t.Logf("%s", ProgressLine(row))
			select {
			case <-w.seen:
			default:
				t.Fatalf("the guest never printed %q (so this is not the planted hang): %v", sleepMarker, row.Err)
			}
			want := fmt.Sprintf("guest hang: no exit marker within the host deadline of %s, QEMU killed; console tail: ", timeout)
			if row.Err == nil || !strings.HasPrefix(row.Err.Error(), want) || !strings.Contains(row.Err.Error(), sleepMarker) {
				t.Fatalf("err = %v\nwant %q ... %q", row.Err, want, sleepMarker)
			}
			var m Metadata
			if b, err := os.ReadFile(filepath.Join(dir, "metadata.json")); err != nil || json.Unmarshal(b, &m) != nil || m.Error == "" {
				t.Errorf("metadata.json: %v %+v", err, m)
			}
		})
	}
}

// slowQEMU puts a stand-in for a's QEMU first in PATH that waits delay
// seconds before it starts the real one (--version answers at once): a
// slow boot that costs no CPU.
func slowQEMU(t *testing.T, a target.Arch, delay int) {
	t.Helper()
	m, _ := qemu.For(a)
	bin, err := exec.LookPath(m.Binary)
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = --version ] || sleep %d\nexec %s \"$@\"\n", delay, bin)
	if err := os.WriteFile(filepath.Join(dir, m.Binary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// TestBootNoKVM boots the real guest init without the KVM modules, so
// /dev/kvm is missing in the guest.
func TestBootNoKVM(t *testing.T) {
	a, k, _ := bootKernel(t)
	init := buildInit(t, a.GOARCH, gobuild.InitPackage)
	row, dir := boot(t, a, k, init, false, nil)
	t.Logf("%s", ProgressLine(row))
	if row.Err == nil || !strings.HasPrefix(row.Err.Error(), "nested virtualisation did not come up: /dev/kvm missing in the guest") ||
		!strings.Contains(row.Err.Error(), "dmesg tail: ") {
		t.Fatalf("err = %v", row.Err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dmesg.log")); err != nil {
		t.Error(err)
	}
}

// TestBootGuestInit boots the real guest init with the KVM modules and no
// suites: /dev/kvm must open and the metadata must come back. The kernel is
// asked for as debian:<release>=<its version>, which the cache has, so the
// pinned path runs without the network and the metadata must name the
// package version.
func TestBootGuestInit(t *testing.T) {
	a, k, cache := bootKernel(t)
	init := buildInit(t, a.GOARCH, gobuild.InitPackage)
	spec := k.Spec + "=" + k.Version
	row, dir := bootTarget(t, Target{Arch: a, Kernel: spec}, cache, init, nil)
	t.Logf("%s", ProgressLine(row))
	if row.Err != nil {
		t.Fatal(row.Err)
	}
	if row.Kernel != spec || !strings.HasSuffix(dir, "-"+k.Version) {
		t.Errorf("row kernel %q, output %s", row.Kernel, dir)
	}
	var m Metadata
	b, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.KVMAPIVersion != 12 || len(m.KVMModules) == 0 || m.KernelRelease == "" || !strings.HasPrefix(m.QEMU, "QEMU emulator version") {
		t.Fatalf("metadata: api=%d modules=%v release=%q qemu=%q", m.KVMAPIVersion, m.KVMModules, m.KernelRelease, m.QEMU)
	}
	if m.Kernel != spec || m.KernelPackage != k.Package || m.PackageVersion != k.Version || m.KernelFallback != "" {
		t.Errorf("metadata kernel %q package %q version %q fallback %q", m.Kernel, m.KernelPackage, m.PackageVersion, m.KernelFallback)
	}
	if m.Stress != DefaultStress().String() {
		t.Errorf("metadata stress budget %q, want the default %s", m.Stress, DefaultStress())
	}
}

func TestRepeatRemark(t *testing.T) {
	ok := []guestconf.SuiteRun{{Name: "kick", Runs: 50, Passed: 50}}
	remark, err := repeatRemark(ok, 50)
	if err != nil || remark != "runs passed in a row: kick 50/50" {
		t.Errorf("all passed: %q, %v", remark, err)
	}
	failed := []guestconf.SuiteRun{{Name: "abi", Runs: 3, Passed: 3}, {Name: "kick", Runs: 2, Passed: 1}}
	if _, err := repeatRemark(failed, 3); err == nil || !strings.Contains(err.Error(), "kick failed on run 2 of 3 after 1 in a row") {
		t.Errorf("a failing run: %v", err)
	}
	short := []guestconf.SuiteRun{{Name: "kick", Runs: 20, Passed: 20}}
	if _, err := repeatRemark(short, 50); err == nil || !strings.Contains(err.Error(), "ran 20 of 50 times") {
		t.Errorf("budget ran out: %v", err)
	}
}
