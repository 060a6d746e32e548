// Package kernels holds the recipes of the guest kernels the runner builds
// from source (ci/internal/kernel, Builder): for each, <name>.config, the
// fragment merged into allnoconfig, and <name>.sh, the build script. They
// are compiled into the runner, so a build's cache key hashes exactly what
// it runs.
package kernels

import "embed"

// FS holds every recipe's files.
//
//go:embed *.config *.sh
var FS embed.FS
