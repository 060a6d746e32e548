package main

import (
	"strings"

	"github.com/kvmconform/kvmconform/ci/internal/variant"
)

// variantUsage is the --variant flag's help: every architecture's
// variants.
func variantUsage() string {
	var parts []string
	for _, v := range variant.All() {
		if v.Name == "" {
			continue
		}
		p := v.GOARCH + " " + v.Name
		switch {
		case v.Unavailable != "":
			p += " (not available here)"
		case v.NoDebian != "" && v.Kernel != "":
			p += " (on --kernel " + v.Kernel + ", built here)"
		case v.NoDebian != "":
			p += " (not with a Debian kernel)"
		case v.OffMatrix != "":
			p += " (not in the matrix)"
		}
		parts = append(parts, p)
	}
	return "KVM implementation other than the architecture's default: " + strings.Join(parts, ", ") +
		"; the output directory gets -<variant>"
}
