package immediateexit

import "github.com/kvmconform/kvmconform/suites/internal/harness"

// Area is this package as a suite (harness.Area): its specs are the
// package-level Describes of its files.
var Area = harness.Area{Name: "immediateexit", Description: "kvmconform: immediate_exit and completion of pending exits", Labels: nil}
