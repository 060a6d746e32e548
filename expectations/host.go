package expectations

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/internal/hostinfo"
)

// HostEntry is the name of the report entry in which the suites record the
// host (suites/internal/harness RecordHost).
const HostEntry = "host"

// Host is what an expectation is matched against: the architecture, the
// kernel release and the loaded KVM modules of the machine that ran the
// suites.
type Host struct {
	GOARCH  string
	Kernel  string // uname -r
	Modules []string
}

// FromInfo is the Host an Info describes.
func FromInfo(info hostinfo.Info) Host {
	h := Host{GOARCH: info.GOARCH, Kernel: info.Kernel, Modules: slices.Clone(info.Modules)}
	if h.GOARCH == "" {
		h.GOARCH = hostinfo.GOARCHFor(info.Machine)
	}
	return h
}

// Known says whether the host is described enough to match expectations.
func (h Host) Known() bool { return h.GOARCH != "" && h.Kernel != "" }

// String is "amd64, kernel 6.12.57+deb13-amd64, KVM modules kvm,kvm_amd".
func (h Host) String() string {
	if !h.Known() {
		return "unknown"
	}
	mods := strings.Join(h.Modules, ",")
	if mods == "" {
		mods = "none"
	}
	return fmt.Sprintf("%s, kernel %s, KVM modules %s", h.GOARCH, h.Kernel, mods)
}

// HostOf returns the host recorded in the reports: the first "host" entry
// of a suite-level node (RecordHost runs in a BeforeSuite). It reads both
// the structured entry (hostinfo.Info as JSON) and the one-line string that
// reports written before it hold. ok is false if no report has one.
func HostOf(reports []types.Report) (h Host, ok bool, err error) {
	info, ok, err := InfoOf(reports)
	if !ok || err != nil {
		return Host{}, ok, err
	}
	return FromInfo(info), true, nil
}

// InfoOf returns the whole host description recorded in the reports (the
// first "host" entry, as HostOf reads it): with the CPU, the KVM device and
// the capabilities probed when the suites recorded them.
func InfoOf(reports []types.Report) (info hostinfo.Info, ok bool, err error) {
	for _, r := range reports {
		for _, s := range r.SpecReports {
			for _, e := range s.ReportEntries {
				if e.Name != HostEntry {
					continue
				}
				info, err := parseHostEntry(e.Value)
				if err != nil {
					return hostinfo.Info{}, false, fmt.Errorf("suite %s: %w", suiteName(r), err)
				}
				return info, true, nil
			}
		}
	}
	return hostinfo.Info{}, false, nil
}

func parseHostEntry(v types.ReportEntryValue) (hostinfo.Info, error) {
	raw := strings.TrimSpace(v.AsJSON)
	if strings.HasPrefix(raw, "{") {
		var info hostinfo.Info
		if err := json.Unmarshal([]byte(raw), &info); err != nil {
			return info, fmt.Errorf("host entry: %w", err)
		}
		return info, nil
	}
	s := v.Representation
	if strings.HasPrefix(raw, `"`) {
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return hostinfo.Info{}, fmt.Errorf("host entry: %w", err)
		}
	}
	return hostinfo.Parse(s)
}
