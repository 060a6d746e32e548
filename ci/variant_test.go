package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
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
	if u := variantUsage(); !strings.Contains(u, "arm64 nvhe") || !strings.Contains(u, "amd64 intel (not available here)") ||
		!strings.Contains(u, "ppc64le pr (on --kernel build:ppc64le-pr, built here)") {
		t.Errorf("usage %q", u)
	}
}

// TestParseBuiltKernel: --variant pr alone boots the kernel the runner
// builds; a build: kernel is checked against the architecture and takes
// no --modules.
func TestParseBuiltKernel(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parse([]string{"run", "--arch", "ppc64le", "--variant", "pr", "--cache", "/tmp/c", "--out", t.TempDir()}, &stderr)
	if err != nil || c.kernel != "build:ppc64le-pr" || c.opt.BuildTimeout != 30*time.Minute {
		t.Fatalf("ppc64le pr: %+v %v", c, err)
	}
	// The default variant on the built kernel (kvm_hv is built too).
	if c, err := parse([]string{"run", "--arch", "ppc64le", "--kernel", "build:ppc64le-pr", "--cache", "/tmp/c", "--out", t.TempDir()}, &stderr); err != nil || c.kernel != "build:ppc64le-pr" {
		t.Fatalf("ppc64le on build:ppc64le-pr: %+v %v", c, err)
	}
	for _, bad := range []struct{ args, want string }{
		{"--arch arm64 --kernel build:ppc64le-pr", "--kernel build:ppc64le-pr is a ppc64le kernel, not --arch arm64"},
		{"--arch ppc64le --kernel build:nope", `--kernel: no kernel recipe "nope": want build:ppc64le-pr`},
		{"--arch ppc64le --variant pr --kernel build:ppc64le-pr --modules /tmp", "--modules goes with a kernel image file, not build:ppc64le-pr"},
		{"--arch ppc64le --variant pr --build-timeout 0s", "--build-timeout 0s: must be positive"},
	} {
		_, err := parse(append([]string{"run", "--cache", "/tmp/c"}, strings.Fields(bad.args)...), &stderr)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want a usage error with %q", bad.args, err, bad.want)
		}
	}
}

// TestParseKernelCommand: ci kernel takes one build: recipe.
func TestParseKernelCommand(t *testing.T) {
	var stderr bytes.Buffer
	out := t.TempDir()
	c, err := parseKernel([]string{"--cache", t.TempDir(), "--out", out, "build:ppc64le-pr"}, &stderr)
	if err != nil || c.recipe.Name != "ppc64le-pr" || c.out != out || c.configOnly {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []struct{ args, want string }{
		{"", "give one kernel recipe (build:ppc64le-pr"},
		{"debian:bookworm", `"debian:bookworm" is not build:<recipe>`},
		{"build:nope", `no kernel recipe "nope"`},
		{"--build-timeout -1s build:ppc64le-pr", "must be positive"},
	} {
		_, err := parseKernel(append([]string{"--cache", t.TempDir()}, strings.Fields(bad.args)...), &stderr)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want a usage error with %q", bad.args, err, bad.want)
		}
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
