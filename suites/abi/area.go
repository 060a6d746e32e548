package abi

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// Area is this package as a suite (harness.Area): its specs are the
// package-level Describes of its files.
var Area = harness.Area{Name: "abi", Description: "kvmconform: capabilities and basic ABI", Labels: Label("abi")}
