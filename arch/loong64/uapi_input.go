//go:build ignore

// Input to `go tool cgo -godefs` for package loong64: the LoongArch part of
// <asm/kvm.h>. Regenerate with: go run ./tools/genabi

package loong64

/*
#include <linux/kvm.h>
*/
import "C"

// Regs is struct kvm_regs (gpr[32], pc).
type Regs C.struct_kvm_regs
