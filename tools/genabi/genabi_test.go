package main

import (
	"os/exec"
	"testing"
)

// TestGeneratedFilesAreCurrent regenerates every zuapi_linux_<goarch>.go in
// memory and fails if a committed file differs. It skips, with the reason,
// where clang-19 is absent or the pinned headers cannot be fetched; CI
// installs clang-19 so it runs there.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	if _, err := exec.LookPath(Compiler); err != nil {
		t.Skipf("%s not installed (apt-get install clang-19): cannot regenerate the ABI files", Compiler)
	}
	if testing.Short() {
		t.Skip("-short: not fetching the pinned kernel headers")
	}
	g, err := NewGenerator("../..", "")
	if err != nil {
		t.Skipf("cannot set up the generator: %v", err)
	}
	stale, err := g.Check()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		t.Errorf("%s differs from a fresh generation: run go run ./tools/genabi", f)
	}
}
