package abi_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/kvmconform/kvmconform/suites/internal/harness"
)

func TestABI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kvmconform: capabilities and basic ABI", Label("abi"))
}

var _ = BeforeSuite(harness.RecordHost)

var _ = AfterSuite(harness.ReportAbandoned)
