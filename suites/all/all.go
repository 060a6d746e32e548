// Package all links every conformance area (suites/<area>) into the program
// that imports it: importing an area registers its specs (package-level
// Describes), and Areas lists them in the order they run, with the
// description and labels each area's own suite gives RunSpecs.
//
// A new area is a package suites/<area> with an Area variable and an
// <area>_suite_test.go, added to Areas here.
package all

import (
	"github.com/kvmconform/kvmconform/suites/abi"
	"github.com/kvmconform/kvmconform/suites/immediateexit"
	"github.com/kvmconform/kvmconform/suites/internal/harness"
	"github.com/kvmconform/kvmconform/suites/kick"
	"github.com/kvmconform/kvmconform/suites/mpstate"
)

// Areas are every area, in the order the ginkgo CLI runs them (directory
// order).
var Areas = []harness.Area{abi.Area, immediateexit.Area, kick.Area, mpstate.Area}

// Names are the areas' names.
func Names() []string {
	names := make([]string, len(Areas))
	for i, a := range Areas {
		names[i] = a.Name
	}
	return names
}
