package kick_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

func TestKick(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kvmconform: kicking a vCPU out of KVM_RUN", Label("kick"))
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.ReportAbandoned)
