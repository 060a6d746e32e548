package host

import (
	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/arch/riscv64"
)

func hostArch() arch.Arch { return riscv64.Arch{} }
