// Package host selects the architecture the binary was built for.
package host

import "github.com/kvmconform/kvmconform/arch"

// Arch returns the architecture of this build, or nil where kvmconform has
// no architecture support (Supported is false).
func Arch() arch.Arch { return hostArch() }

// Supported reports whether this GOARCH has an architecture package.
func Supported() bool { return hostArch() != nil }
