package host

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/ppc64"
)

func hostArch() arch.Arch { return ppc64.Arch{} }
