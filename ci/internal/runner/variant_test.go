package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/ci/internal/kernel"
	"github.com/kvmconform/kvmconform/ci/internal/qemu"
	"github.com/kvmconform/kvmconform/ci/internal/results"
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
// after the cross-only architectures. Book3S PR is not one of them: it
// boots the kernel the runner builds.
func TestMatrixVariants(t *testing.T) {
	var un []string
	for _, tg := range MatrixUnavailable() {
		un = append(un, entryName(tg))
	}
	if strings.Join(un, ",") != "amd64 intel,s390x hercules" {
		t.Errorf("unavailable rows %v", un)
	}
	entries := MatrixEntries()
	if entries[len(entries)-2] != "amd64 intel" || entries[len(entries)-3] != "mips64le" {
		t.Errorf("entries end with %v", entries[len(entries)-3:])
	}
	if !slices.Contains(entries, "ppc64le build:ppc64le-pr pr") {
		t.Errorf("no ppc64le-pr row on the built kernel in %v", entries)
	}
	if d := (Target{Arch: mustArch(t, "ppc64le"), Kernel: "build:ppc64le-pr", Variant: "pr"}).Dir(); d != "ppc64le-build-ppc64le-pr-pr" {
		t.Errorf("Dir() = %s", d)
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

// fakeBuilder stands in for kernel.Builder: it returns err, and counts
// the builds it was asked for.
type fakeBuilder struct {
	err    error
	builds int
}

func (f *fakeBuilder) Build(context.Context, kernel.Recipe, []string) (*kernel.Kernel, error) {
	f.builds++
	return nil, f.err
}

// TestBootBuiltKernelPolicy: when the built kernel's inputs cannot be had
// the row is a note saying so (not a failure) and keeps its kernel; a
// build that fails is the row's error. Neither boots (a stand-in QEMU that
// only exists is enough) nor writes the row's directory.
func TestBootBuiltKernelPolicy(t *testing.T) {
	ppc := mustArch(t, "ppc64le")
	m, _ := qemu.For(ppc)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, m.Binary), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	tg := Target{Arch: ppc, Kernel: "build:ppc64le-pr", Variant: "pr"}
	for _, c := range []struct {
		name     string
		err      error
		note     bool
		contains string
	}{
		{"inputs", fmt.Errorf("the ppc64le kvm-pr kernel not built: %w: E: Unable to locate package gcc-powerpc64le-linux-gnu; log: /c/x.log", kernel.ErrBuildInputs),
			true, "E: Unable to locate package gcc-powerpc64le-linux-gnu"},
		{"compile error", errors.New("building the ppc64le kvm-pr kernel failed (exit status 2): x.c:1: error: y; log: /c/k.log"), false, "error: y; log: /c/k.log"},
	} {
		out := t.TempDir()
		fb := &fakeBuilder{err: c.err}
		r := &Runner{opt: Options{Out: out}, kbuild: fb}
		row := r.Boot(t.Context(), tg)
		if fb.builds != 1 {
			t.Errorf("%s: %d builds", c.name, fb.builds)
		}
		if c.note {
			if row.Err != nil || !strings.Contains(row.Note, c.contains) || row.Label() != "ppc64le-pr build:ppc64le-pr" {
				t.Errorf("%s: row %+v", c.name, row)
			}
			if total := results.Total([]results.Row{row}); total.Failed != 0 {
				t.Errorf("%s: counted as %d failures", c.name, total.Failed)
			}
		} else if row.Err == nil || !strings.Contains(row.Err.Error(), c.contains) || row.Note != "" {
			t.Errorf("%s: row %+v", c.name, row)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("%s: wrote %v", c.name, ents)
		}
	}
	// An interrupted build is not a note, even if its error says the
	// inputs could not be had.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := &Runner{opt: Options{Out: t.TempDir()}, kbuild: &fakeBuilder{err: fmt.Errorf("x: %w", kernel.ErrBuildInputs)}}
	if row := r.Boot(ctx, tg); row.Err == nil || row.Note != "" {
		t.Errorf("interrupted: %+v", row)
	}
	// The recipe is for one architecture.
	r = &Runner{opt: Options{Out: t.TempDir()}, kbuild: &fakeBuilder{}}
	if _, err := r.Kernel(t.Context(), Target{Arch: mustArch(t, "arm64"), Kernel: "build:ppc64le-pr"}); err == nil || !strings.Contains(err.Error(), "is a ppc64le kernel, not arm64") {
		t.Errorf("arm64: %v", err)
	}
}
