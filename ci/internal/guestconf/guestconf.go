// Package guestconf holds the data exchanged between the host runner and the
// guest init: the configuration file the host puts into the initramfs and
// the JSON documents the guest sends back in frames.
package guestconf

// Paths and frame names shared by host and guest.
const (
	// ConfigPath is where the host puts Config inside the initramfs.
	ConfigPath = "/kvmconform/config.json"
	// SuitesDir holds the conformance binary (ConformBinary) and the
	// programs.
	SuitesDir = "/suites"
	// ConformBinary is the conformance binary's name in SuitesDir: the one
	// kvmconform binary, which links every suite.
	ConformBinary = "kvmconform"
	// ModulesDir holds the kernel modules to load, named NN-name.ko[.xz].
	ModulesDir = "/modules"
	// InitLinePrefix starts every console line of the guest init; the
	// first, "kvmconform-init: up ...", is printed as soon as it runs and
	// tells the host that the guest booted.
	InitLinePrefix = "kvmconform-init: "

	// FrameMeta carries a Meta document.
	FrameMeta = "meta.json"
	// FrameDmesg carries the kernel log.
	FrameDmesg = "dmesg.log"
	// FrameProblem carries a Problem document when the guest could not run
	// the suites.
	FrameProblem = "problem.json"
	// FrameResult carries the file a Program wrote (Program.Result).
	FrameResult = "result"
	// ReportSuffix ends the frame name of a suite's Ginkgo JSON report:
	// "<suite>.json".
	ReportSuffix = ".json"
)

// Config tells the guest init what to run.
type Config struct {
	// Suites are the areas to run, in this order, all with one
	// "kvmconform run --area NAME,..." (each area in a process of its own
	// there; an area's report is the frame NAME+ReportSuffix).
	Suites []string `json:"suites"`
	// RunArgs are added to every kvmconform run (its filters:
	// --label-filter, --focus, --skip).
	RunArgs []string `json:"runArgs,omitempty"`
	// BudgetSeconds is how long the suites may run in total, counted from
	// the start of init. A suite still running then is interrupted with
	// SIGTERM (kvmconform run still writes its report), then killed.
	BudgetSeconds int `json:"budgetSeconds,omitempty"`
	// RequireKVM makes a missing /dev/kvm fatal (reported as a Problem).
	RequireKVM bool `json:"requireKVM"`
	// Repeat runs each suite this many times in a row (0 or 1: once),
	// stopping at its first failing run; the report sent is the last run's.
	// Each repetition is one kvmconform run of the suites still passing.
	Repeat int `json:"repeat,omitempty"`
	// Stress, when set, is the stress specs' budget (internal/stress:
	// "full" or a time cap such as "3s"), given to every kvmconform run
	// as $KVMCONFORM_STRESS; unset, they run at their full depth.
	Stress string `json:"stress,omitempty"`
	// Program, when set, is run instead of the suites.
	Program *Program `json:"program,omitempty"`
}

// Program is a command the guest init runs instead of the suites (the
// benchmarks). Argv[0] names a binary in SuitesDir; the program runs in /tmp
// with the console as stdout and stderr, under the same time budget as the
// suites. Its outcome is the Meta's only SuiteRun.
type Program struct {
	Argv []string `json:"argv"`
	// Result is a file the program writes; the init sends it back in the
	// frame FrameResult.
	Result string `json:"result,omitempty"`
}

// Problem kinds.
const (
	// ProblemNoKVM: /dev/kvm did not open in the guest.
	ProblemNoKVM = "nokvm"
	// ProblemInit: the guest init could not do its job.
	ProblemInit = "init"
)

// Problem explains why the guest could not run the suites.
type Problem struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// ModuleLoad is the outcome of loading one module.
type ModuleLoad struct {
	File    string  `json:"file"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// SuiteRun is the outcome of running one suite (an area of kvmconform
// run). ExitCode is 0 when the area's part of the verdict with the shipped
// expectations was OK and 1 when not (what kvmconform run --area NAME
// alone would exit with); when kvmconform run did not say (it did not run
// the area, or ended before writing its metadata), it is kvmconform run's
// own status (-1: killed or never started). Seconds is how long the area's
// process ran, over all its runs.
type SuiteRun struct {
	Name     string  `json:"name"`
	ExitCode int     `json:"exitCode"`
	Seconds  float64 `json:"seconds"`
	// Report is true when the JSON report was produced and sent.
	Report bool `json:"report"`
	// Runs is how many times the suite ran (Config.Repeat), Passed how
	// many of those runs in a row, from the first, exited 0.
	Runs   int `json:"runs"`
	Passed int `json:"passed"`
	// Error describes a failure to start or an interruption.
	Error string `json:"error,omitempty"`
}

// Meta describes the guest kernel and what the init did.
type Meta struct {
	KernelRelease string `json:"kernelRelease"`
	Machine       string `json:"machine"`
	ProcVersion   string `json:"procVersion"`
	Cmdline       string `json:"cmdline"`
	// ProcModules are the /proc/modules lines of loaded KVM-related modules.
	ProcModules []string `json:"procModules"`
	// SysModules maps each /sys/module/kvm* (and irqbypass) to its
	// parameters; built-in KVM shows up here but not in ProcModules.
	SysModules map[string]map[string]string `json:"sysModules"`
	Modules    []ModuleLoad                 `json:"moduleLoads"`
	// KVMAPIVersion is KVM_GET_API_VERSION, 0 if /dev/kvm did not open.
	KVMAPIVersion int        `json:"kvmApiVersion"`
	KVMError      string     `json:"kvmError,omitempty"`
	Suites        []SuiteRun `json:"suites"`
	// UptimeAtInit and UptimeAtEnd are /proc/uptime seconds.
	UptimeAtInit float64 `json:"uptimeAtInit"`
	UptimeAtEnd  float64 `json:"uptimeAtEnd"`
}
