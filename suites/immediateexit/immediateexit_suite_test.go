package immediateexit_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

func TestImmediateExit(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kvmconform: immediate_exit and completion of pending exits")
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.ReportAbandoned)
