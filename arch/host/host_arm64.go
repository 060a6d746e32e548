package host

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/arm64"
)

func hostArch() arch.Arch { return arm64.Arch{} }
