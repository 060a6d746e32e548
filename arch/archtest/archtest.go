// Package archtest holds the checks every architecture's facts tests share.
package archtest

import (
	"testing"

	"github.com/kvmconform/kvmconform/arch"
	"github.com/kvmconform/kvmconform/internal/uapi"
)

// PCChange is one expected CMP-14 answer: on the named kernel path of a
// completion ("" for an architecture with one path), what the completion
// does when userspace moved the PC or changed the destination register.
type PCChange struct {
	Reason uapi.ExitReason
	Access arch.Access
	Path   string
	PC     arch.PCChange
	Reg    arch.RegChange
}

// CheckPCChanges fails t unless every completion of f has its CMP-14
// answers and each of want is what f says.
func CheckPCChanges(t *testing.T, f arch.CompletionFacts, want []PCChange) {
	t.Helper()
	if m := f.Incomplete(); len(m) > 0 {
		t.Errorf("CMP-14 facts incomplete: %q", m)
	}
	for _, w := range want {
		c, ok := f.Lookup(w.Reason, w.Access)
		if !ok {
			t.Errorf("no completion for exit %d %v", w.Reason, w.Access)
			continue
		}
		found := false
		for _, p := range c.Paths() {
			if p.Name != w.Path {
				continue
			}
			found = true
			if p.OnPCChange != w.PC || p.OnRegChange != w.Reg {
				t.Errorf("%s path %q: %v / %v, want %v / %v", c.Name(), w.Path, p.OnPCChange, p.OnRegChange, w.PC, w.Reg)
			}
		}
		if !found {
			t.Errorf("%s: no path %q", c.Name(), w.Path)
		}
	}
}
