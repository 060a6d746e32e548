// Package expectations holds kvmconform's explained deviations and applies
// them to the suites' Ginkgo reports, the same way for native runs, QEMU runs
// and every report built from them.
//
// An expectation says that a spec (by its ID, e.g. "CMP-2", and optionally a
// glob on its table entry, e.g. "outb") fails on an architecture, a kernel
// release and a KVM module for a reason that has been explained from the
// kernel source. The shipped list is expectations.yaml beside this file
// (embedded); a user adds their own (a distro's waivers) with --expect FILE.
// Applying the list to a run's reports classifies every spec as passed,
// failed (unexpectedly), expected, "fixed?" (an expectation covers it but
// it passed) or skipped, checks that every suite reported completely, and
// gives the verdict: OK when every failure is expected and every suite
// reported.
//
// The package is framework-free: it reads Ginkgo's report types and nothing
// from the suites.
package expectations

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kind says what an expectation is.
type Kind string

// The kinds of expectation.
const (
	// KernelBug: the kernel does not do what it documents or what its own
	// code intends, shown from its source.
	KernelBug Kind = "kernel bug"
	// KernelInconsistency: two kernel paths (or versions) that should agree
	// do not, and neither is documented as the rule.
	KernelInconsistency Kind = "kernel inconsistency"
	// PlatformLimitation: the hardware or the KVM module cannot do what the
	// spec checks (e.g. a module without the feature).
	PlatformLimitation Kind = "platform limitation"
	// EmulationArtefact: the emulator under the kernel (QEMU TCG), not KVM,
	// behaves differently from hardware.
	EmulationArtefact Kind = "emulation artefact"
	// Unexplained: seen and narrowed down, not yet decided.
	Unexplained Kind = "unexplained"
)

// Kinds are the accepted kinds, in the order the documentation lists them.
var Kinds = []Kind{KernelBug, KernelInconsistency, PlatformLimitation, EmulationArtefact, Unexplained}

// GOARCHes are the architectures an expectation may name.
var GOARCHes = []string{"amd64", "arm64", "ppc64", "ppc64le", "riscv64", "s390x", "mips64", "mips64le", "loong64"}

// Expectation is one explained deviation. The YAML field names are those of
// the tags.
type Expectation struct {
	// ID is the spec line, e.g. "CMP-2", "IE-6", "MP-X13"; a spec carries
	// it as a Ginkgo label (or in its own text, "[CMP-7]").
	ID string `yaml:"id"`
	// Case, if set, are globs on the spec's leaf text (a DescribeTable
	// entry's description: "outb", "kvm_valid_regs bit 63",
	// "mmio-load-lb:*"); one must match. In the file it is one glob or a
	// list of them.
	Case Globs `yaml:"case,omitempty"`
	// Arch is the GOARCH the expectation is for (required).
	Arch string `yaml:"arch"`
	// Kernel is a glob on the kernel release (uname -r), e.g. "6.12.*";
	// empty in the file means "*".
	Kernel string `yaml:"kernel,omitempty"`
	// Module, if set, is a KVM module that must be loaded (kvm_amd,
	// kvm_intel, kvm_pvm, kvm_hv, kvm_pr, ...).
	Module string `yaml:"module,omitempty"`
	// Kind is one of Kinds.
	Kind Kind `yaml:"kind"`
	// Reason explains the deviation, with the kernel source (file,
	// function) it rests on; its first sentence is the summary line.
	Reason string `yaml:"reason"`
	// Since and FixedIn are the kernel versions (or commits) that
	// introduced and fixed the deviation, if known. They are for the
	// reader; Kernel decides where the expectation applies.
	Since   string `yaml:"since,omitempty"`
	FixedIn string `yaml:"fixed_in,omitempty"`

	// File and Line say where the entry was read.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Globs are path.Match patterns; in YAML a single string or a list.
type Globs []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (g *Globs) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*g = Globs{n.Value}
		return nil
	case yaml.SequenceNode:
		var out Globs
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: case: want a glob or a list of globs", item.Line)
			}
			out = append(out, item.Value)
		}
		*g = out
		return nil
	}
	return fmt.Errorf("line %d: case: want a glob or a list of globs", n.Line)
}

// Where is "file:line".
func (e *Expectation) Where() string { return fmt.Sprintf("%s:%d", e.File, e.Line) }

// String names the expectation in one line: ID, cases, where it applies.
func (e *Expectation) String() string {
	var b strings.Builder
	b.WriteString(e.ID)
	if len(e.Case) > 0 {
		fmt.Fprintf(&b, " %q", []string(e.Case))
	}
	fmt.Fprintf(&b, " on %s, kernel %s", e.Arch, e.Kernel)
	if e.Module != "" {
		fmt.Fprintf(&b, ", module %s", e.Module)
	}
	return b.String()
}

// ShippedFile is the shipped list's path in the repository, as errors and
// summaries name it.
const ShippedFile = "expectations/expectations.yaml"

//go:embed expectations.yaml
var shipped []byte

// Shipped returns the shipped list.
func Shipped() ([]Expectation, error) { return Parse(ShippedFile, shipped) }

// ShippedYAML returns the shipped list as the file holds it (a bundle
// carries it for its reader).
func ShippedYAML() []byte { return append([]byte(nil), shipped...) }

// Load returns the shipped list followed by the entries of each file, in
// order. A named file must exist.
func Load(files ...string) ([]Expectation, error) {
	list, err := Shipped()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("expectations file %s does not exist", f)
			}
			return nil, fmt.Errorf("expectations file: %w", err)
		}
		more, err := Parse(f, data)
		if err != nil {
			return nil, err
		}
		list = append(list, more...)
	}
	return list, nil
}

// fields are the keys an entry may have, in the order the documentation
// lists them.
var fields = []string{"id", "case", "arch", "kernel", "module", "kind", "reason", "since", "fixed_in"}

var (
	idPattern     = regexp.MustCompile(`^[A-Z]+-[A-Z]*[0-9]+$`)
	modulePattern = regexp.MustCompile(`^kvm(_[a-z0-9]+)*$`)
)

// Parse reads a list of expectations (a YAML sequence of mappings; an empty
// document is an empty list) and checks every entry strictly: unknown or
// missing fields, a bad glob, an unknown arch or kind are errors naming the
// file, the line and the entry.
func Parse(file string, data []byte) ([]Expectation, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", file, yamlError(err))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // empty, or only comments
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: want a list of entries (each starting with \"- id: ...\")", file, root.Line)
	}
	var list []Expectation
	for i, item := range root.Content {
		e, err := parseEntry(item)
		if err != nil {
			name := fmt.Sprintf("entry %d", i+1)
			if e.ID != "" {
				name += " (" + e.ID + ")"
			}
			return nil, fmt.Errorf("%s:%d: %s: %v", file, item.Line, name, err)
		}
		e.File, e.Line = file, item.Line
		list = append(list, e)
	}
	return list, nil
}

func parseEntry(n *yaml.Node) (Expectation, error) {
	var e Expectation
	if n.Kind != yaml.MappingNode {
		return e, errors.New("want a mapping of fields (id: ..., arch: ..., ...)")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == "id" && n.Content[i+1].Kind == yaml.ScalarNode {
			e.ID = n.Content[i+1].Value // to name the entry in errors
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(fields, k.Value) {
			return e, fmt.Errorf("line %d: unknown field %q (want %s)", k.Line, k.Value, strings.Join(fields, ", "))
		}
		if v := n.Content[i+1]; k.Value != "case" && v.Kind != yaml.ScalarNode {
			return e, fmt.Errorf("line %d: %s: want a single value", v.Line, k.Value)
		}
	}
	if err := n.Decode(&e); err != nil {
		return e, errors.New(yamlError(err))
	}
	switch {
	case e.ID == "":
		return e, errors.New("missing id (the spec line, e.g. CMP-2)")
	case !idPattern.MatchString(e.ID):
		return e, fmt.Errorf("id %q is not a spec line (want e.g. CMP-2, IE-6, MP-X13)", e.ID)
	case e.Arch == "":
		return e, fmt.Errorf("missing arch (a GOARCH: %s)", strings.Join(GOARCHes, ", "))
	case !slices.Contains(GOARCHes, e.Arch):
		return e, fmt.Errorf("arch %q is not a GOARCH kvmconform runs on (want one of %s)", e.Arch, strings.Join(GOARCHes, ", "))
	case e.Kind == "":
		return e, fmt.Errorf("missing kind (one of %s)", kindList())
	case !slices.Contains(Kinds, e.Kind):
		return e, fmt.Errorf("kind %q is not one of %s", e.Kind, kindList())
	case strings.TrimSpace(e.Reason) == "":
		return e, errors.New("missing reason (what the kernel does, with its source file and function)")
	case e.Module != "" && !modulePattern.MatchString(e.Module):
		return e, fmt.Errorf("module %q is not a KVM module name (want e.g. kvm_amd, kvm_intel, kvm_pvm, kvm_hv)", e.Module)
	}
	if e.Kernel == "" {
		e.Kernel = "*"
	}
	if err := checkGlob(e.Kernel); err != nil {
		return e, fmt.Errorf("kernel %q: %v", e.Kernel, err)
	}
	for _, c := range e.Case {
		if c == "" {
			return e, errors.New("case: an empty glob")
		}
		if err := checkGlob(c); err != nil {
			return e, fmt.Errorf("case %q: %v", c, err)
		}
	}
	e.Reason = strings.TrimSpace(e.Reason)
	return e, nil
}

// yamlError is a YAML error on one line, without the "yaml: " prefix.
func yamlError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	msg := strings.Join(strings.Fields(strings.TrimPrefix(err.Error(), "yaml: ")), " ")
	if strings.Contains(msg, "did not find expected alphabetic or numeric character") {
		msg += ` (a glob that starts with "*" must be quoted: "*", "*-amd64")`
	}
	return msg
}

func kindList() string {
	var s []string
	for _, k := range Kinds {
		s = append(s, fmt.Sprintf("%q", k))
	}
	return strings.Join(s, ", ")
}

func checkGlob(p string) error {
	if _, err := path.Match(p, ""); err != nil {
		return errors.New("not a valid glob (path.Match syntax: *, ?, [a-z], \\)")
	}
	return nil
}

// match is path.Match where * and ? also match "/" (spec texts such as
// "port I/O" are not paths).
func match(pattern, s string) bool {
	const slash = "\x00"
	ok, _ := path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(s, "/", slash))
	return ok
}

// MatchesHost says whether e applies to a run on h.
func (e *Expectation) MatchesHost(h Host) bool {
	if h.GOARCH != e.Arch || !match(e.Kernel, h.Kernel) {
		return false
	}
	return e.Module == "" || slices.Contains(h.Modules, e.Module)
}

// MatchesSpec says whether e names s: its ID is one of the spec's IDs and,
// if e has cases, one of them matches the spec's leaf text.
func (e *Expectation) MatchesSpec(s SpecInfo) bool {
	if !slices.Contains(s.IDs, e.ID) {
		return false
	}
	if len(e.Case) == 0 {
		return true
	}
	for _, c := range e.Case {
		if match(c, s.Case) {
			return true
		}
	}
	return false
}
