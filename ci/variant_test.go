package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseVariant(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parse([]string{"run", "--arch", "arm64", "--variant", "nvhe", "--cache", "/tmp/c"}, &stderr)
	if err != nil || c.variant != "nvhe" || c.kernel != "debian:bookworm" {
		t.Fatalf("arm64 nvhe: %+v %v", c, err)
	}
	for _, bad := range []struct{ args, want string }{
		{"--arch arm64 --variant pr", `--variant: arm64 has no variant "pr" (want one of nvhe)`},
		{"--matrix --variant nvhe", "do not combine it with --arch, --kernel, --modules or --variant"},
	} {
		_, err := parse(append([]string{"run", "--cache", "/tmp/c"}, strings.Fields(bad.args)...), &stderr)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want a usage error with %q", bad.args, err, bad.want)
		}
	}
	if u := variantUsage(); !strings.Contains(u, "arm64 nvhe") || !strings.Contains(u, "amd64 intel (not available here)") {
		t.Errorf("usage %q", u)
	}
}

// TestRunUnavailableVariant: a variant that cannot run here prints its row
// with the reason and exits 0, without building or booting anything (its
// --src is an empty directory: nothing there could be built).
func TestRunUnavailableVariant(t *testing.T) {
	var stdout, stderr bytes.Buffer
	out := t.TempDir()
	code := realMain([]string{"run", "--arch", "amd64", "--variant", "intel", "--cache", t.TempDir(), "--out", out, "--src", t.TempDir()}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "amd64-intel") || !strings.Contains(stdout.String(), "no emulator on this machine has Intel VMX") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if !strings.HasSuffix(strings.TrimSpace(stdout.String()), "0 passed, 0 failed, 0 skipped") {
		t.Errorf("closing line: %q", stdout.String())
	}
}
