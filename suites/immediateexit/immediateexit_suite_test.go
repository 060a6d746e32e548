package immediateexit

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// TestImmediateExit runs this area alone (go tool ginkgo ./suites/immediateexit); cmd/kvmconform
// runs it with the other areas linked into one binary.
func TestImmediateExit(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, Area.Description, Area.Labels)
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.EndSuite)
