package harness

import (
	. "github.com/onsi/ginkgo/v2"
)

// An Area is one suites/<area> package seen as a Ginkgo suite. The specs of
// an area are ordinary package files that register themselves at package
// level (var _ = Describe(...)), the way Kubernetes' test/e2e packages do,
// so that importing the package links them in. Two programs run them:
//
//   - the package's own <area>_suite_test.go (go tool ginkgo ./suites/<area>),
//     which calls RunSpecs(t, Area.Description, Area.Labels) with the
//     BeforeSuite (RecordHost) and AfterSuite (EndSuite) every suite
//     has;
//   - cmd/kvmconform, which links every area (suites/all) into one binary
//     and runs each area as its own suite with the same description and
//     labels, so its reports look like the ginkgo CLI's.
type Area struct {
	// Name is the package directory below suites/ ("abi"): the suite's
	// name in reports, verdicts and the QEMU runner.
	Name string
	// Description is the suite description RunSpecs gets.
	Description string
	// Labels are the suite labels (--label-filter matches them too).
	Labels Labels
}
