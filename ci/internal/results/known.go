package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// KnownFailure is a kernel behaviour that a spec reports as a failure and
// that has been investigated: a kernel bug found by the suite, or a
// behaviour of the emulated platform (QEMU TCG) rather than of KVM. The spec
// still fails in the JSON and JUnit reports; the run's exit status and
// closing line count it apart, so a known finding does not hide a new one.
type KnownFailure struct {
	// Arch is the GOARCH ("amd64", "arm64", ...); Kernel a path.Match
	// pattern on the kernel label ("debian:trixie", "*"); Spec a regular
	// expression matched against the spec's full text.
	Arch, Kernel, Spec string
	// Kind says what it is: "kernel bug", "emulation", "unexplained".
	Kind string
	// Reason explains it, with the kernel source (file, function).
	Reason string
	spec   *regexp.Regexp
}

// LoadKnownFailures reads a JSON array of KnownFailure; a missing file is
// an empty list.
func LoadKnownFailures(file string) ([]KnownFailure, error) {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseKnownFailures(data)
}

// ParseKnownFailures decodes and checks a known-failure list.
func ParseKnownFailures(data []byte) ([]KnownFailure, error) {
	var list []KnownFailure
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("known failures: %w", err)
	}
	for i := range list {
		k := &list[i]
		if k.Arch == "" || k.Spec == "" || k.Reason == "" || k.Kind == "" {
			return nil, fmt.Errorf("known failures: entry %d needs Arch, Spec, Kind and Reason", i)
		}
		if k.Kernel == "" {
			k.Kernel = "*"
		}
		if _, err := path.Match(k.Kernel, ""); err != nil {
			return nil, fmt.Errorf("known failures: entry %d: kernel pattern %q: %w", i, k.Kernel, err)
		}
		re, err := regexp.Compile(k.Spec)
		if err != nil {
			return nil, fmt.Errorf("known failures: entry %d: spec pattern: %w", i, err)
		}
		k.spec = re
	}
	return list, nil
}

// match returns the entry that covers a failed spec, or nil.
func match(known []KnownFailure, arch, kernel, spec string) *KnownFailure {
	for i := range known {
		k := &known[i]
		if k.Arch != arch {
			continue
		}
		if ok, _ := path.Match(k.Kernel, kernel); !ok {
			continue
		}
		if k.spec != nil && k.spec.MatchString(spec) {
			return k
		}
	}
	return nil
}

// Finding is a failed spec that a known-failure entry covers.
type Finding struct {
	Arch, Kernel, Spec, Kind, Reason string
}

// String renders a finding on one line.
func (f Finding) String() string {
	return fmt.Sprintf("%s %s: %s [%s] %s", f.Arch, f.Kernel, f.Spec, f.Kind, f.Reason)
}

// CountKnown is Count with the failed It specs that known covers counted
// as Known instead of Failed; it also returns them.
func CountKnown(reports []types.Report, arch, kernel string, known []KnownFailure) (Counts, []Finding) {
	c := Count(reports)
	var found []Finding
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt || !s.State.Is(types.SpecStateFailureStates) {
				continue
			}
			text := strings.TrimSpace(s.FullText())
			if k := match(known, arch, kernel, text); k != nil {
				c.Failed--
				c.Known++
				found = append(found, Finding{Arch: arch, Kernel: kernel, Spec: text, Kind: k.Kind, Reason: k.Reason})
			}
		}
	}
	return c, found
}
