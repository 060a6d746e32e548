package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/internal/bundle"
	"github.com/kvmconform/kvmconform/suites/all"
)

// TestBundle cross-builds a real bundle for a foreign architecture and
// reads it back.
func TestBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the binary")
	}
	out := filepath.Join(t.TempDir(), "new", "k.tar.gz") // its directory is created
	code, stdout, stderr := runCmd("bundle", "--arch", "riscv64", "--out", out)
	if code != 0 || !strings.HasPrefix(stdout, out+": kvmconform for riscv64 (") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := bundle.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.Manifest.GOARCH != "riscv64" || !slices.Equal(b.Manifest.Areas, all.Names()) || b.Manifest.GoVersion == "" {
		t.Errorf("manifest %+v", b.Manifest)
	}
	readme := string(b.Members[bundle.Readme])
	for _, want := range []string{"kvmconform riscv64 bundle", "tar xzf kvmconform-riscv64.tar.gz", "./kvmconform run", "Exit status: 0 when", "abi, immediateexit, kick, mpstate"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q:\n%s", want, readme)
		}
	}
	if !strings.Contains(string(b.Members[bundle.Expectations]), "- id: IE-6") {
		t.Errorf("expectations.yaml is not the shipped list")
	}
}

func TestBundleUsage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "missing --arch (amd64, arm64,"},
		{[]string{"--arch", "x86_64"}, `--arch "x86_64": not a GOARCH kvmconform supports`},
		{[]string{"--arch", "arm64", "extra"}, `unexpected argument "extra"`},
		{[]string{"--arch", "arm64", "--out", t.TempDir()}, "is a directory"},
		{[]string{"--arch", "arm64", "--out", filepath.Join(file, "k.tar.gz")}, "--out " + file + "/k.tar.gz: mkdir " + file + ": not a directory"},
	} {
		code, _, errs := runCmd(append([]string{"bundle"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSuffix(errs, "\n"), "\n") != 0 {
			t.Errorf("bundle %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
