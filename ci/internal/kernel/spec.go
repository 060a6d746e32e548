package kernel

import (
	"fmt"
	"regexp"
	"strings"
)

// DebianSpec is a --kernel value naming a Debian kernel: debian:<release>
// for the newest kernel of the release, or debian:<release>=<version> to pin
// one package version (no fallback to another).
type DebianSpec struct {
	Release string
	// Version is a Debian package version ("6.12.117-1"); empty means the
	// newest.
	Version string
}

func (s DebianSpec) String() string {
	if s.Version == "" {
		return "debian:" + s.Release
	}
	return "debian:" + s.Release + "=" + s.Version
}

// Label names the kernel in output paths: debian-trixie, or
// debian-trixie-6.12.117-1 when pinned.
func (s DebianSpec) Label() string {
	if s.Version == "" {
		return "debian-" + s.Release
	}
	return "debian-" + s.Release + "-" + sanitize(s.Version)
}

// exampleVersion is a package version of each release's kernel, for
// messages.
var exampleVersion = map[string]string{"bookworm": "6.1.192-3", "trixie": "6.12.117-1"}

// debianVersion matches a Debian package version: [epoch:]upstream[-revision],
// starting with a digit.
var debianVersion = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~]*(-[A-Za-z0-9.+~]+)*$`)

// ParseDebianSpec parses a --kernel value. ok is false when it does not start
// with "debian:" (it is then a kernel image file); err says what is wrong
// with one that does.
func ParseDebianSpec(s string) (spec DebianSpec, ok bool, err error) {
	rest, ok := strings.CutPrefix(s, "debian:")
	if !ok {
		return DebianSpec{}, false, nil
	}
	rel, ver, pinned := strings.Cut(rest, "=")
	if _, known := series[rel]; !known {
		return DebianSpec{}, true, fmt.Errorf("unknown Debian release %q: want debian:bookworm, debian:trixie (either optionally =VERSION to pin a package version) or a kernel image file", rel)
	}
	spec = DebianSpec{Release: rel, Version: ver}
	if !pinned {
		return spec, true, nil
	}
	example := "debian:" + rel + "=" + exampleVersion[rel]
	switch {
	case ver == "":
		return DebianSpec{}, true, fmt.Errorf("no version after %q: want e.g. %s", "debian:"+rel+"=", example)
	case !debianVersion.MatchString(ver):
		return DebianSpec{}, true, fmt.Errorf("%q is not a Debian package version: want e.g. %s (the Version of the linux-image package, not its name)", ver, example)
	}
	upstream := ver
	if _, after, ok := strings.Cut(ver, ":"); ok {
		upstream = after
	}
	if !strings.HasPrefix(upstream, series[rel]+".") {
		return DebianSpec{}, true, fmt.Errorf("debian:%s ships %s kernels and %s is not one: want e.g. %s", rel, series[rel], ver, example)
	}
	return spec, true, nil
}
