package harness

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/arch/host"
)

// ArchLabel is the label naming this build's architecture ("x86", "arm64",
// ...), so --label-filter can select specs by architecture.
func ArchLabel() Labels {
	if a := host.Arch(); a != nil {
		return Label(a.Name())
	}
	return Label("unsupported-arch")
}
