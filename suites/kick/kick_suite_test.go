package kick

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// TestKick runs this area alone (go tool ginkgo ./suites/kick); cmd/kvmconform
// runs it with the other areas linked into one binary.
func TestKick(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, Area.Description, Area.Labels)
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.EndSuite)
