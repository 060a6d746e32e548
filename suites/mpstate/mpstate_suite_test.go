package mpstate

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

// TestMPState runs this area alone (go tool ginkgo ./suites/mpstate); cmd/kvmconform
// runs it with the other areas linked into one binary.
func TestMPState(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, Area.Description, Area.Labels)
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.EndSuite)
