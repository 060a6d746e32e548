package host

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/mips"
)

func hostArch() arch.Arch { return mips.Arch{} }
