package host

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/x86"
)

func hostArch() arch.Arch { return x86.Arch{} }
