//go:build !(amd64 || arm64 || ppc64 || ppc64le || s390x || mips64 || mips64le || riscv64 || loong64)

package host

import "github.com/kvmconform/kvmconform/arch"

func hostArch() arch.Arch { return nil }
