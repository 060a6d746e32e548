//go:build linux

// Command guestinit is PID 1 of the QEMU guest that runs the conformance
// suites: it mounts the pseudo file systems, loads the KVM modules, checks
// that /dev/kvm opens, runs every suite with one run of the conformance
// binary (/suites/kvmconform run --area A,B,... --area-json DIR, which runs
// each area in a process of its own and keeps each one's report), sends
// the suites' Ginkgo JSON reports, one frame per suite, and a metadata
// document back over the console in frames, prints the exit marker and
// reboots (QEMU runs with -no-reboot, so it exits).
//
// It is cross-built with CGO_ENABLED=0 for the guest architecture and only
// reads /kvmconform/config.json; see ci/internal/guestconf.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kvmconform/kvmconform/ci/internal/frame"
	"github.com/kvmconform/kvmconform/ci/internal/guestconf"
	"github.com/kvmconform/kvmconform/internal/stress"
)

// Exit statuses carried by the exit marker.
const (
	statusOK          = 0
	statusSuitesFail  = 1
	statusNoKVM       = 3
	statusInitProblem = 4
	statusPanic       = 125
)

// killGrace is how long an interrupted suite gets to write its report.
const killGrace = 15 * time.Second

func main() {
	status := statusPanic
	func() {
		defer func() {
			if r := recover(); r != nil {
				sendProblem(guestconf.ProblemInit, fmt.Sprintf("guest init panicked: %v", r))
				sendDmesg()
			}
		}()
		status = run()
	}()
	fmt.Fprintln(os.Stdout, frame.ExitLine(status))
	shutdown()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stdout, guestconf.InitLinePrefix+format+"\n", args...)
}

func run() int {
	start := time.Now()
	if err := mountAll(); err != nil {
		logf("%v", err)
	}
	meta := guestconf.Meta{UptimeAtInit: uptime()}
	logf("up %.2f s after the kernel started", meta.UptimeAtInit) // the host's sign that the guest booted

	cfg, err := readConfig()
	if err != nil {
		sendProblem(guestconf.ProblemInit, err.Error())
		sendDmesg()
		return statusInitProblem
	}

	meta.Modules = loadModules()
	api, kvmErr := checkKVM()
	meta.KVMAPIVersion = api
	if kvmErr != nil {
		meta.KVMError = kvmErr.Error()
	}
	collectKernelInfo(&meta)

	if kvmErr != nil && cfg.RequireKVM {
		msg := "nested virtualisation did not come up: /dev/kvm missing in the guest (" + kvmErr.Error() + ")"
		for _, m := range meta.Modules {
			if m.Error != "" {
				msg += "; loading " + m.File + ": " + m.Error
			}
		}
		meta.UptimeAtEnd = uptime()
		quietConsole()
		sendJSON(guestconf.FrameMeta, meta)
		sendProblem(guestconf.ProblemNoKVM, msg)
		sendDmesg()
		return statusNoKVM
	}

	var deadline time.Time
	if cfg.BudgetSeconds > 0 {
		deadline = start.Add(time.Duration(cfg.BudgetSeconds) * time.Second)
	}
	if cfg.Program != nil {
		return runProgram(cfg.Program, deadline, &meta)
	}
	status := statusOK
	reports := map[string][]byte{}
	ar := areaRunner{bin: filepath.Join(guestconf.SuitesDir, guestconf.ConformBinary), out: "/tmp/out"}
	for _, r := range ar.run(cfg.Suites, cfg.RunArgs, stressEnv(cfg.Stress), deadline, max(cfg.Repeat, 1)) {
		if data, err := os.ReadFile(ar.reportPath(r.Name)); err == nil {
			reports[r.Name] = data
			r.Report = true
		} else if r.Error == "" {
			r.Error = "no JSON report: " + err.Error()
		}
		if r.ExitCode != 0 || !r.Report {
			status = statusSuitesFail
		}
		meta.Suites = append(meta.Suites, r)
	}
	meta.UptimeAtEnd = uptime()

	// From here on only frames go to the console: keep kernel messages
	// (except emergencies) out of them.
	quietConsole()
	for _, name := range cfg.Suites {
		if data, ok := reports[name]; ok {
			send(name+guestconf.ReportSuffix, data)
		}
	}
	sendJSON(guestconf.FrameMeta, meta)
	sendDmesg()
	return status
}

func mountAll() error {
	var errs []error
	for _, m := range []struct{ src, dir, fs string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
		{"tmpfs", "/tmp", "tmpfs"},
	} {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			errs = append(errs, fmt.Errorf("mkdir %s: %w", m.dir, err))
			continue
		}
		err := unix.Mount(m.src, m.dir, m.fs, unix.MS_NOSUID, "")
		if err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mount %s on %s: %w", m.fs, m.dir, err))
		}
	}
	return errors.Join(errs...)
}

func readConfig() (guestconf.Config, error) {
	var cfg guestconf.Config
	data, err := os.ReadFile(guestconf.ConfigPath)
	if err != nil {
		return cfg, fmt.Errorf("guest init: reading config: %w", err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("guest init: parsing %s: %w", guestconf.ConfigPath, err)
	}
	return cfg, nil
}

// loadModules loads /modules/* in name order (the host numbered them in
// dependency order).
func loadModules() []guestconf.ModuleLoad {
	entries, err := os.ReadDir(guestconf.ModulesDir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			logf("reading %s: %v", guestconf.ModulesDir, err)
		}
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var loads []guestconf.ModuleLoad
	for _, name := range names {
		t := time.Now()
		err := loadModule(filepath.Join(guestconf.ModulesDir, name))
		l := guestconf.ModuleLoad{File: name, Seconds: time.Since(t).Seconds()}
		if err != nil {
			l.Error = err.Error()
			logf("loading module %s: %v", name, err)
		}
		loads = append(loads, l)
	}
	return loads
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	switch filepath.Ext(path) {
	case ".xz", ".zst", ".gz":
		flags = unix.MODULE_INIT_COMPRESSED_FILE
	}
	err = unix.FinitModule(int(f.Fd()), "", flags)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("finit_module(flags=%d): %w", flags, err)
	}
	return nil
}

// kvmGetAPIVersion is _IO(KVMIO, 0x00). ppc and mips encode "no data" as
// 1<<29 instead of 0.
func kvmGetAPIVersion() uint {
	switch runtime.GOARCH {
	case "ppc64", "ppc64le", "mips", "mipsle", "mips64", "mips64le":
		return 0x2000AE00
	}
	return 0xAE00
}

// checkKVM opens /dev/kvm (waiting briefly for devtmpfs) and returns
// KVM_GET_API_VERSION.
func checkKVM() (int, error) {
	var f *os.File
	var err error
	for i := 0; i < 20; i++ {
		f, err = os.OpenFile("/dev/kvm", os.O_RDWR, 0)
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	v, err := unix.IoctlRetInt(int(f.Fd()), kvmGetAPIVersion())
	if err != nil {
		return 0, fmt.Errorf("KVM_GET_API_VERSION: %w", err)
	}
	return v, nil
}

// areaRunner runs the areas with the conformance binary bin, whose run
// command writes its files into out.
type areaRunner struct {
	bin, out string
}

// reportPath is an area's own Ginkgo JSON report (kvmconform run
// --area-json), the frame sent for it.
func (c areaRunner) reportPath(name string) string {
	return filepath.Join(c.out, "areas", name+".json")
}

// runProgram runs cfg.Program instead of the suites and sends back its
// result file, the metadata and the kernel log.
func runProgram(p *guestconf.Program, deadline time.Time, meta *guestconf.Meta) int {
	status := statusOK
	if len(p.Argv) == 0 {
		sendProblem(guestconf.ProblemInit, "guest init: the program has an empty argv")
		return statusInitProblem
	}
	name := filepath.Base(p.Argv[0])
	r := runCommand(name, filepath.Join(guestconf.SuitesDir, name), p.Argv[1:], nil, deadline)
	var result []byte
	if p.Result != "" {
		data, err := os.ReadFile(p.Result)
		if err != nil && r.Error == "" {
			r.Error = "no result file: " + err.Error()
		}
		result = data
	}
	if r.ExitCode != 0 || r.Error != "" {
		status = statusSuitesFail
	}
	meta.Suites = append(meta.Suites, r)
	meta.UptimeAtEnd = uptime()
	quietConsole()
	if result != nil {
		send(guestconf.FrameResult, result)
	}
	sendJSON(guestconf.FrameMeta, meta)
	sendDmesg()
	return status
}

// runMeta is what the init reads of kvmconform run's metadata.json
// (package reports, RunMeta).
type runMeta struct {
	Problems map[string]string `json:"problems"`
	AreaRuns []areaRun         `json:"areaRuns"`
}

type areaRun struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	OK      bool    `json:"ok"`
}

// runAreas runs the areas with one kvmconform run (each area in a process
// of its own there, as always), n times in a row: an area whose run fails
// (its part of the verdict is not OK, or it has no report) is not run
// again, and no run starts once the time budget is used up. Each area's
// report left behind is that of its last run. A SuiteRun's exit code is 0
// when its area's part of the verdict was OK, 1 when not, and kvmconform
// run's own status when that did not say (the area did not run, or the
// run ended before writing its metadata).
func (c areaRunner) run(areas, extra, env []string, deadline time.Time, n int) []guestconf.SuiteRun {
	runs := make([]guestconf.SuiteRun, len(areas))
	var pending []int
	for i, a := range areas {
		runs[i] = guestconf.SuiteRun{Name: a, ExitCode: -1}
		pending = append(pending, i)
	}
	for i := 1; i <= n && len(pending) > 0; i++ {
		if i > 1 && !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		var names []string
		for _, k := range pending {
			names = append(names, areas[k])
			_ = os.Remove(c.reportPath(areas[k]))
		}
		_ = os.Remove(filepath.Join(c.out, "metadata.json"))
		res := c.runAll(names, extra, env, deadline, true)
		m, haveMeta := readRunMeta(filepath.Join(c.out, "metadata.json"))
		if res.ExitCode == 2 && !haveMeta {
			// A usage error: a binary (from a bundle) older than
			// --formats. The same run, every format written.
			logf("kvmconform run rejected its arguments (a binary without --formats?); running it again without")
			res = c.runAll(names, extra, env, deadline, false)
			m, haveMeta = readRunMeta(filepath.Join(c.out, "metadata.json"))
		}
		if res.ExitCode == 2 && !haveMeta {
			// A usage error: a binary (from a bundle) older than
			// --area-json. Each area alone, as such a binary expects.
			logf("kvmconform run rejected its arguments (a binary without --area-json?); running each area on its own")
			m = c.runEach(names, extra, env, deadline)
			res = guestconf.SuiteRun{ExitCode: 1}
		}
		var still []int
		for _, k := range pending {
			r := &runs[k]
			r.Runs, r.ExitCode, r.Error = i, res.ExitCode, res.Error
			for _, ar := range m.AreaRuns {
				if ar.Name != r.Name {
					continue
				}
				r.Seconds += ar.Seconds
				r.ExitCode = 1
				if ar.OK {
					r.ExitCode, r.Error = 0, ""
				}
			}
			if p := m.Problems[r.Name]; p != "" {
				r.Error = p
			}
			if _, err := os.Stat(c.reportPath(r.Name)); err != nil && r.Error == "" {
				r.Error = "no JSON report: " + err.Error()
			}
			if r.ExitCode == 0 && r.Error == "" {
				r.Passed++
				still = append(still, k)
			}
		}
		pending = still
		if n > 1 {
			logf("run %d of %d: %d of %d areas passed every run so far", i, n, len(still), len(areas))
		}
	}
	return runs
}

// timeScaleEnv stretches the suites' deadlines (suites/internal/harness
// TimeScaleEnv) by 5 inside the guest: its vCPUs run nested under QEMU's
// TCG, where one guest instruction can cost milliseconds, so the native
// 2 s KVM_RUN deadline becomes 10 s.
const timeScaleEnv = "KVMCONFORM_TIME_SCALE=5"

// stressEnv is the environment that gives the suites the host's stress
// budget ($KVMCONFORM_STRESS; none when the host set none: full depth).
func stressEnv(budget string) []string {
	if budget == "" {
		return nil
	}
	return []string{stress.Env + "=" + budget}
}

// readRunMeta reads kvmconform run's metadata.json; ok is false when
// there is none (the run ended before writing it).
func readRunMeta(path string) (m runMeta, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return m, false
	}
	if err := json.Unmarshal(data, &m); err != nil {
		logf("reading kvmconform run's metadata %s: %v", path, err)
		return m, false
	}
	return m, true
}

// runEach runs every area with a kvmconform run of its own, as the init
// did before kvmconform run had --area-json (a bundle's binary may be that
// old): its exit status is the area's verdict, its report.json the area's
// report, copied to reportPath.
func (c areaRunner) runEach(areas, extra, env []string, deadline time.Time) runMeta {
	m := runMeta{Problems: map[string]string{}}
	if err := os.MkdirAll(filepath.Join(c.out, "areas"), 0o755); err != nil {
		logf("%v", err)
	}
	for _, name := range areas {
		dir := filepath.Join(c.out, name)
		args := append([]string{"run", "--area", name, "--out", dir, "-v"}, extra...)
		r := runCommand(name, c.bin, args, env, deadline)
		if r.Error != "" {
			m.Problems[name] = r.Error
		}
		if data, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil {
			if err := os.WriteFile(c.reportPath(name), data, 0o644); err != nil {
				m.Problems[name] = "keeping its report: " + err.Error()
			}
		}
		m.AreaRuns = append(m.AreaRuns, areaRun{Name: name, Seconds: r.Seconds, OK: r.ExitCode == 0 && r.Error == ""})
	}
	return m
}

// runAll runs the areas with one run command of the conformance binary,
// verbose (the console is the log), extra being its filters and env added
// to its environment; each area's report goes to reportPath as soon as the
// area ends. Its exit status is the verdict with the shipped expectations;
// the host judges the reports again with the user's too.
func (c areaRunner) runAll(areas, extra, env []string, deadline time.Time, onlyMeta bool) guestconf.SuiteRun {
	args := []string{"run", "--area", strings.Join(areas, ","), "--out", c.out, "--area-json", filepath.Join(c.out, "areas"), "-v"}
	if onlyMeta {
		// The host reads the areas' reports and metadata.json, and
		// makes every other format itself: writing them under TCG
		// costs the guest a second.
		args = append(args, "--formats", "summary")
	}
	return runCommand(strings.Join(areas, ","), c.bin, append(args, extra...), env, deadline)
}

// runCommand runs bin in /tmp with the console as its output and env added
// to its environment, interrupting it (SIGTERM, then SIGKILL) when the
// deadline passes.
func runCommand(name, bin string, args, env []string, deadline time.Time) guestconf.SuiteRun {
	r := guestconf.SuiteRun{Name: name, ExitCode: -1}
	logf("suite %s: %s %s", name, bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Dir = "/tmp"
	cmd.Env = append([]string{"PATH=/suites:/", "HOME=/tmp", "TMPDIR=/tmp", "TERM=dumb", "NO_COLOR=1", timeScaleEnv}, env...)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.Error = "start: " + err.Error()
		logf("suite %s: %v", name, err)
		return r
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var budget <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		budget = timer.C
	}
	var err error
	select {
	case err = <-done:
	case <-budget:
		r.Error = "interrupted: time budget used up"
		logf("suite %s: time budget used up, sending SIGTERM", name)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err = <-done:
		case <-time.After(killGrace):
			logf("suite %s: still running %s after SIGTERM, killing", name, killGrace)
			_ = cmd.Process.Kill()
			err = <-done
		}
	}
	r.Seconds = time.Since(start).Seconds()
	r.ExitCode = 0
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.ExitCode = ee.ExitCode()
		} else {
			r.Error = err.Error()
		}
	}
	logf("suite %s: exit status %d after %.1fs", name, r.ExitCode, r.Seconds)
	return r
}

func collectKernelInfo(m *guestconf.Meta) {
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		m.KernelRelease = unix.ByteSliceToString(u.Release[:])
		m.Machine = unix.ByteSliceToString(u.Machine[:])
	}
	m.ProcVersion = strings.TrimSpace(readString("/proc/version"))
	m.Cmdline = strings.TrimSpace(readString("/proc/cmdline"))
	for _, line := range strings.Split(readString("/proc/modules"), "\n") {
		if isKVMModule(strings.Fields(line + " x")[0]) {
			m.ProcModules = append(m.ProcModules, line)
		}
	}
	m.SysModules = map[string]map[string]string{}
	dirs, _ := os.ReadDir("/sys/module")
	for _, d := range dirs {
		if !isKVMModule(d.Name()) {
			continue
		}
		params := map[string]string{}
		base := filepath.Join("/sys/module", d.Name())
		files, _ := os.ReadDir(filepath.Join(base, "parameters"))
		for _, f := range files {
			params[f.Name()] = strings.TrimSpace(readString(filepath.Join(base, "parameters", f.Name())))
		}
		for _, extra := range []string{"version", "initstate"} {
			if v := strings.TrimSpace(readString(filepath.Join(base, extra))); v != "" {
				params["."+extra] = v
			}
		}
		m.SysModules[d.Name()] = params
	}
}

func isKVMModule(name string) bool {
	return strings.HasPrefix(name, "kvm") || name == "irqbypass"
}

func readString(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func uptime() float64 {
	f := strings.Fields(readString("/proc/uptime"))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// quietConsole keeps kernel messages below KERN_EMERG off the console so
// they do not land inside frames.
func quietConsole() {
	_ = os.WriteFile("/proc/sys/kernel/printk", []byte("1"), 0o644)
}

func send(name string, data []byte) {
	if err := frame.Encode(os.Stdout, name, data, true); err != nil {
		logf("%v", err)
	}
}

func sendJSON(name string, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		logf("encoding %s: %v", name, err)
		return
	}
	send(name, data)
}

func sendProblem(kind, msg string) {
	logf("%s", msg)
	sendJSON(guestconf.FrameProblem, guestconf.Problem{Kind: kind, Message: msg})
}

func sendDmesg() {
	size, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	if err != nil || size <= 0 {
		size = 1 << 20
	}
	buf := make([]byte, size)
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		logf("reading the kernel log: %v", err)
		return
	}
	send(guestconf.FrameDmesg, buf[:n])
}

// shutdown waits for the console to drain and reboots; it never returns.
func shutdown() {
	_ = unix.IoctlSetInt(int(os.Stdout.Fd()), unix.TCSBRK, 1) // tcdrain
	unix.Sync()
	time.Sleep(50 * time.Millisecond)
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	_, _ = io.WriteString(os.Stdout, "kvmconform-init: reboot failed\n")
	for {
		// PID 1 must not exit; the host deadline ends the run.
		time.Sleep(time.Hour)
	}
}
