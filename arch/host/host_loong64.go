package host

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/loong64"
)

func hostArch() arch.Arch { return loong64.Arch{} }
