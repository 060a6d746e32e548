package mpstate_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

func TestMPState(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kvmconform: mp_state and CPU bring-up", Label("mp-state"))
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.ReportAbandoned)
