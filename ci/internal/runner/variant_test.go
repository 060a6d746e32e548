package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

func mustArch(t *testing.T, name string) target.Arch {
	t.Helper()
	a, err := target.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTargetDirAndEntryName(t *testing.T) {
	arm := mustArch(t, "arm64")
	for _, c := range []struct {
		t          Target
		dir, entry string
	}{
		{Target{Arch: arm, Kernel: "debian:trixie"}, "arm64-debian-trixie", "arm64 debian:trixie"},
		{Target{Arch: arm, Kernel: "debian:trixie", Variant: "nvhe"}, "arm64-debian-trixie-nvhe", "arm64 debian:trixie nvhe"},
		{Target{Arch: arm, Kernel: "debian:bookworm=6.1.192-3", Variant: "nvhe"}, "arm64-debian-bookworm-6.1.192-3-nvhe", "arm64 debian:bookworm=6.1.192-3 nvhe"},
		{Target{Arch: mustArch(t, "amd64"), Variant: "intel"}, "", "amd64 intel"},
	} {
		if c.dir != "" && c.t.Dir() != c.dir {
			t.Errorf("Dir() = %q, want %q", c.t.Dir(), c.dir)
		}
		if entryName(c.t) != c.entry {
			t.Errorf("entryName = %q, want %q", entryName(c.t), c.entry)
		}
	}
}

// TestMatrixVariants: every variant row of the matrix is a known variant
// of a bootable architecture, and the unavailable ones are listed last,
// after the cross-only architectures.
func TestMatrixVariants(t *testing.T) {
	var un []string
	for _, tg := range MatrixUnavailable() {
		un = append(un, entryName(tg))
	}
	if strings.Join(un, ",") != "amd64 intel,ppc64le pr,s390x hercules" {
		t.Errorf("unavailable rows %v", un)
	}
	entries := MatrixEntries()
	if entries[len(entries)-3] != "amd64 intel" || entries[len(entries)-4] != "mips64le" {
		t.Errorf("entries end with %v", entries[len(entries)-3:])
	}
}

// TestBootUnavailableVariant: Boot returns the note without resolving an
// emulator or a kernel (the Runner has neither) and writes nothing.
func TestBootUnavailableVariant(t *testing.T) {
	out := t.TempDir()
	r := &Runner{opt: Options{Out: out}}
	row := r.Boot(t.Context(), Target{Arch: mustArch(t, "amd64"), Kernel: "debian:bookworm", Variant: "intel"})
	if row.Err != nil || !strings.Contains(row.Note, "no emulator on this machine has Intel VMX") || row.Label() != "amd64-intel" || row.Kernel != "" {
		t.Fatalf("row %+v", row)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("wrote %v", ents)
	}
	// Book3S PR with a Debian kernel: the row keeps the kernel and says
	// why Debian's cannot run it.
	row = r.Boot(t.Context(), Target{Arch: mustArch(t, "ppc64le"), Kernel: "debian:trixie", Variant: "pr"})
	if row.Err != nil || !strings.Contains(row.Note, "ship no kvm-pr.ko") || row.Label() != "ppc64le-pr debian:trixie" {
		t.Fatalf("ppc64le pr row %+v", row)
	}
	row = r.Boot(t.Context(), Target{Arch: mustArch(t, "arm64"), Kernel: "debian:bookworm", Variant: "pr"})
	if row.Err == nil || !strings.Contains(row.Err.Error(), `arm64 has no variant "pr"`) {
		t.Errorf("unknown variant: %+v", row)
	}
}

func TestModuleNames(t *testing.T) {
	m := Metadata{KVMModules: []string{"kvm_pr 155648 0 - Live 0x0", "kvm 1 1 kvm_pr, Live 0x0"}, KVMBuiltin: []string{"kvm-arm"}}
	if got := strings.Join(moduleNames(m), ","); got != "kvm_pr,kvm,kvm_arm" {
		t.Errorf("moduleNames = %s", got)
	}
	if readFile(filepath.Join(t.TempDir(), "none")) != nil {
		t.Error("readFile of a missing file")
	}
}
