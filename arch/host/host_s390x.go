package host

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/s390x"
)

func hostArch() arch.Arch { return s390x.Arch{} }
