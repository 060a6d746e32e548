package nested_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
	"github.com/kvmconform/kvmconform/suites/nested"
)

// TestNested runs this area alone (go tool ginkgo ./suites/nested); its
// specs are the package-level Describes of package nested.
func TestNested(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, nested.Area.Description, nested.Area.Labels)
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.EndSuite)
