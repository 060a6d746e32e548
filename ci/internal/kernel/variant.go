package kernel

import (
	"slices"
	"strings"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// wanted are the KVM modules d extracts for a: d.Modules, else the
// architecture's KVMModules.
func (d *Debian) wanted(a target.Arch) []string {
	if d.Modules != nil {
		return d.Modules
	}
	return KVMModules(a)
}

// cacheDir names the cache directory of a kernel package:
// <package>_<version>, with "+<module>..." appended when the wanted
// modules are not the architecture's default ones, so that a variant's
// kernel (kvm_pr instead of kvm_hv) never replaces the default one that
// other runs share, and loadManifest skips the other's manifest.
func cacheDir(pkg Package, wanted, dflt []string) string {
	name := pkg.Name + "_" + strings.ReplaceAll(pkg.Version, ":", "%3a")
	if !slices.Equal(wanted, dflt) {
		name += "+" + strings.Join(wanted, "+")
	}
	return name
}
