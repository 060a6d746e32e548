package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/nice"
)

// fakeHost stands in for dpkg, scripts/deps and the recipe's script: no
// real install or build runs, and nothing depends on how fast one would.
type fakeHost struct {
	t *testing.T
	// installed maps package to version; installable are the versions
	// scripts/deps installs (a package not there cannot be had).
	installed, installable map[string]string
	// installErr, if set, is the installer's failure and its output.
	installErr, installOut string
	// result is what the build script does: "ok", "fail", "hang",
	// "no-image".
	result string
	// release is the kernel release the fake build writes.
	release string
	// calls are the installer's and the script's command lines.
	calls []string
}

func newFakeHost(t *testing.T) *fakeHost {
	return &fakeHost{t: t, installed: map[string]string{}, result: "ok", release: "6.1.192",
		installable: map[string]string{"linux-source-6.1": "6.1.192-3"}}
}

// builder returns a Builder on the fake host with the cache in a temporary
// directory, and the recipe (its tarball a file that exists).
func (h *fakeHost) builder() (*Builder, Recipe, *[]string) {
	h.t.Helper()
	r := Recipes()[0]
	r.Tarball = filepath.Join(h.t.TempDir(), "linux-source-6.1.tar.xz")
	if err := os.WriteFile(r.Tarball, []byte("not really xz"), 0o644); err != nil {
		h.t.Fatal(err)
	}
	logs := new([]string)
	b := &Builder{Cache: h.t.TempDir(), Deps: "/src/scripts/deps", TempDir: h.t.TempDir(),
		Logf:      func(format string, args ...any) { *logs = append(*logs, fmt.Sprintf(format, args...)) },
		installed: h.versions, run: h.run}
	return b, r, logs
}

func (h *fakeHost) versions(_ context.Context, pkgs []string) (map[string]string, error) {
	have := map[string]string{}
	for _, p := range pkgs {
		if v := h.installed[p]; v != "" {
			have[p] = v
		}
	}
	return have, nil
}

func (h *fakeHost) run(ctx context.Context, log io.Writer, name string, args ...string) error {
	h.calls = append(h.calls, strings.Join(append([]string{filepath.Base(name)}, args...), " "))
	switch name {
	case "/src/scripts/deps":
		if args[0] != "--only" {
			h.t.Errorf("installer called without --only: %v", args)
		}
		if h.installErr != "" {
			fmt.Fprintln(log, h.installOut)
			return errors.New(h.installErr)
		}
		for _, p := range args[1:] {
			v, ok := h.installable[p]
			if !ok {
				v = "1.0"
			}
			h.installed[p] = v
		}
		return nil
	case "bash":
		// script TARBALL CONFIG WORK OUT [--config-only]
		if len(args) < 5 {
			h.t.Fatalf("script called with %v", args)
		}
		if data, err := os.ReadFile(args[0]); err != nil || !strings.Contains(string(data), "ppc64le-pr.sh TARBALL CONFIG WORK OUT") {
			h.t.Errorf("the script run is not the recipe's: %v", err)
		}
		out := args[4]
		fmt.Fprintln(log, "  CC      kernel/fork.o")
		switch h.result {
		case "fail":
			fmt.Fprintln(log, "arch/powerpc/kvm/book3s_pr.c:12:3: error: 'x' undeclared (first use in this function)")
			fmt.Fprintln(log, "make[1]: *** [Makefile:1234: vmlinux] Error 2")
			return errors.New("exit status 2")
		case "hang":
			<-ctx.Done()
			return errors.New("signal: killed")
		}
		must := func(err error) {
			if err != nil {
				h.t.Fatal(err)
			}
		}
		must(os.MkdirAll(filepath.Join(out, "modules"), 0o755))
		must(os.WriteFile(filepath.Join(out, "config-"+h.release), []byte("CONFIG_KVM_BOOK3S_64_PR=m\n"), 0o644))
		if len(args) > 5 && args[5] == "--config-only" {
			return nil
		}
		if h.result != "no-image" {
			must(os.WriteFile(filepath.Join(out, "vmlinux-"+h.release), []byte("\x7fELF vmlinux"), 0o644))
		}
		for _, m := range [][]string{{"kvm.ko", "name=kvm"}, {"kvm-pr.ko", "name=kvm_pr", "depends=kvm"}, {"kvm-hv.ko", "name=kvm_hv", "depends=kvm"}} {
			must(os.WriteFile(filepath.Join(out, "modules", m[0]), elfWithModinfo(m[1:]...), 0o644))
		}
		return nil
	}
	h.t.Fatalf("ran %s %v", name, args)
	return nil
}

func (h *fakeHost) count(prefix string) int {
	n := 0
	for _, c := range h.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// TestBuildColdThenWarm: a cold build installs only the missing inputs,
// runs the recipe once, says so in one line and caches the kernel; the
// second Build takes it from the cache without installing or building
// anything, with the same image, modules and key.
func TestBuildColdThenWarm(t *testing.T) {
	h := newFakeHost(t)
	h.installed["make"], h.installed["bc"] = "4.3-4.1", "1.07.1-3+b1"
	b, r, logs := h.builder()
	k, err := b.Build(t.Context(), r, []string{"kvm_pr"})
	if err != nil {
		t.Fatal(err)
	}
	if h.count("deps --only") != 1 || h.count("bash") != 1 {
		t.Fatalf("calls %v, want one install and one build", h.calls)
	}
	if inst := h.calls[0]; strings.Contains(inst, " make") || strings.Contains(inst, " bc") || !strings.Contains(inst, " linux-source-6.1 gcc-powerpc64le-linux-gnu ") {
		t.Errorf("installed %q: want the missing inputs only", inst)
	}
	dir := b.Dir(r, "6.1.192-3")
	if !strings.HasPrefix(filepath.Base(dir), "ppc64le-pr_6.1.192-3_") || filepath.Dir(dir) != filepath.Join(b.Cache, "kernels", "build") {
		t.Errorf("cache dir %s", dir)
	}
	wantLine := "building the ppc64le kvm-pr kernel (linux-source-6.1 6.1.192-3), about 3 to 5 minutes; cached in " + dir + " (log: " + dir + ".log)"
	if !slices.Contains(*logs, wantLine) {
		t.Errorf("logs %q, want the line %q", *logs, wantLine)
	}
	if k.Image != filepath.Join(dir, "vmlinux-6.1.192") || k.Release != "6.1.192" || k.Spec != "build:ppc64le-pr" || k.Label != "build-ppc64le-pr" ||
		moduleNames(k) != "kvm,kvm_pr" || k.Package != "linux-source-6.1" || k.Version != "6.1.192-3" {
		t.Errorf("kernel %+v, modules %s", k, moduleNames(k))
	}
	bd := k.Build
	if bd == nil || bd.Cached || bd.Key != r.Key("6.1.192-3") || bd.Dir != dir || bd.Log != filepath.Join(dir, "build.log") ||
		bd.Config != "ci/kernels/ppc64le-pr.config" || bd.Script != "ci/kernels/ppc64le-pr.sh" || bd.SourceVersion != "6.1.192-3" {
		t.Fatalf("build %+v", bd)
	}
	if log, err := os.ReadFile(bd.Log); err != nil || !strings.Contains(string(log), "CC      kernel/fork.o") {
		t.Errorf("build log: %v %q", err, log)
	}
	if _, err := os.Stat(dir + ".log"); !os.IsNotExist(err) {
		t.Errorf("the log of a build that worked stays beside the cache dir: %v", err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("cache dir: %v %v", st.Mode(), err)
	}
	if ents, _ := os.ReadDir(b.TempDir); len(ents) != 0 {
		t.Errorf("build tree left behind: %v", ents)
	}

	*logs, h.calls = nil, nil
	warm, err := b.Build(t.Context(), r, []string{"kvm_pr"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.calls) != 0 || len(*logs) != 0 {
		t.Errorf("a warm build ran %v and said %q", h.calls, *logs)
	}
	if !warm.Build.Cached || warm.Image != k.Image || warm.Build.Key != bd.Key || moduleNames(warm) != "kvm,kvm_pr" {
		t.Errorf("warm %+v %+v", warm, warm.Build)
	}
	// The same build serves the default variant's modules.
	if hv, err := b.Build(t.Context(), r, nil); err != nil || moduleNames(hv) != "kvm,kvm_hv" || len(h.calls) != 0 {
		t.Errorf("kvm_hv from the same build: %v %v, calls %v", hv, err, h.calls)
	}
}

// TestBuildKey: the key changes with the source package's version, the
// config and the build script, and only with what determines the build;
// a changed config or script builds again, into a directory of its own.
func TestBuildKey(t *testing.T) {
	r := Recipes()[0]
	base := r.Key("6.1.192-3")
	if len(base) != 64 || r.Key("6.1.192-3") != base {
		t.Fatalf("key %q is not a stable SHA-256", base)
	}
	cfg, script := r, r
	cfg.Config = append(slices.Clone(r.Config), "CONFIG_EXTRA=y\n"...)
	script.Script = append(slices.Clone(r.Script), "# changed\n"...)
	other := r
	other.What, other.About, other.Packages = "renamed", "about an hour", []string{"x"}
	for name, k := range map[string]string{"version": r.Key("6.1.193-1"), "config": cfg.Key("6.1.192-3"), "script": script.Key("6.1.192-3")} {
		if k == base {
			t.Errorf("%s change: same key", name)
		}
	}
	if other.Key("6.1.192-3") != base {
		t.Error("messages and the package list changed the key")
	}

	h := newFakeHost(t)
	b, _, _ := h.builder()
	h.installed = map[string]string{}
	for _, p := range r.Packages {
		h.installed[p] = "1"
	}
	h.installed["linux-source-6.1"] = "6.1.192-3"
	tarball := func(rc Recipe) Recipe {
		rc.Tarball = filepath.Join(t.TempDir(), "t")
		os.WriteFile(rc.Tarball, []byte("x"), 0o644)
		return rc
	}
	r, cfg, script = tarball(r), tarball(cfg), tarball(script)
	k1, err := b.Build(t.Context(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Build(t.Context(), r, nil); err != nil || h.count("bash") != 1 {
		t.Fatalf("same recipe: %v, %d builds", err, h.count("bash"))
	}
	if h.count("deps") != 0 {
		t.Errorf("installed with every input there: %v", h.calls)
	}
	k2, err := b.Build(t.Context(), cfg, nil)
	if err != nil || h.count("bash") != 2 || k2.Build.Dir == k1.Build.Dir {
		t.Fatalf("changed config: %v, %d builds, dirs %s %s", err, h.count("bash"), k1.Build.Dir, k2.Build.Dir)
	}
	if _, err := b.Build(t.Context(), script, nil); err != nil || h.count("bash") != 3 {
		t.Fatalf("changed script: %v, %d builds", err, h.count("bash"))
	}
	h.installed["linux-source-6.1"] = "6.1.193-1"
	k4, err := b.Build(t.Context(), r, nil)
	if err != nil || h.count("bash") != 4 || !strings.Contains(k4.Build.Dir, "_6.1.193-1_") {
		t.Fatalf("new source version: %v, %d builds, %s", err, h.count("bash"), k4.Build.Dir)
	}
	// A cache entry whose manifest has another key is not taken.
	h.installed["linux-source-6.1"] = "6.1.192-3"
	man := filepath.Join(k1.Build.Dir, manifestName)
	data, _ := os.ReadFile(man)
	os.WriteFile(man, []byte(strings.Replace(string(data), k1.Build.Key, strings.Repeat("0", 64), 1)), 0o644)
	if _, err := b.Build(t.Context(), r, nil); err != nil || h.count("bash") != 5 {
		t.Fatalf("stale manifest: %v, %d builds", err, h.count("bash"))
	}
}

// TestBuildInputsPolicy: inputs that cannot be installed are
// ErrBuildInputs (the runner's note row), saying what the installer said;
// every failure of the build itself, or of the recipe, is an error that is
// not, naming the log, which stays in the cache.
func TestBuildInputsPolicy(t *testing.T) {
	t.Run("apt cannot provide the inputs", func(t *testing.T) {
		h := newFakeHost(t)
		h.installErr, h.installOut = "exit status 100", "W: Some index files failed to download.\nE: Unable to locate package gcc-powerpc64le-linux-gnu"
		b, r, _ := h.builder()
		_, err := b.Build(t.Context(), r, nil)
		log := filepath.Join(b.Cache, "kernels", "build", "ppc64le-pr.install.log")
		if !errors.Is(err, ErrBuildInputs) || !strings.Contains(err.Error(), "E: Unable to locate package gcc-powerpc64le-linux-gnu") ||
			!strings.Contains(err.Error(), "/src/scripts/deps --only linux-source-6.1 ") || !strings.HasSuffix(err.Error(), "; log: "+log) {
			t.Fatalf("err = %v", err)
		}
		if !strings.HasPrefix(err.Error(), "the ppc64le kvm-pr kernel not built: its build inputs cannot be had: ") {
			t.Errorf("err = %v", err)
		}
		if h.count("bash") != 0 {
			t.Error("built without its inputs")
		}
	})
	t.Run("no root", func(t *testing.T) {
		h := newFakeHost(t)
		h.installErr, h.installOut = "exit status 1", "scripts/deps: need root (or sudo) to install: flex bison"
		b, r, _ := h.builder()
		if _, err := b.Build(t.Context(), r, nil); !errors.Is(err, ErrBuildInputs) || !strings.Contains(err.Error(), "need root (or sudo) to install: flex bison") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("compile error", func(t *testing.T) {
		h := newFakeHost(t)
		h.result = "fail"
		b, r, _ := h.builder()
		_, err := b.Build(t.Context(), r, nil)
		log := b.Dir(r, "6.1.192-3") + ".log"
		if err == nil || errors.Is(err, ErrBuildInputs) ||
			err.Error() != "building the ppc64le kvm-pr kernel failed (exit status 2): arch/powerpc/kvm/book3s_pr.c:12:3: error: 'x' undeclared (first use in this function); log: "+log {
			t.Fatalf("err = %v", err)
		}
		if data, err := os.ReadFile(log); err != nil || !strings.Contains(string(data), "Error 2") {
			t.Errorf("the failed build's log: %v", err)
		}
		if _, err := os.Stat(b.Dir(r, "6.1.192-3")); !os.IsNotExist(err) {
			t.Errorf("a failed build was cached: %v", err)
		}
		if ents, _ := os.ReadDir(filepath.Join(b.Cache, "kernels", "build")); len(ents) != 2 { // the install and build logs
			t.Errorf("cache holds %v", ents)
		}
		h.result = "ok"
		if _, err := b.Build(t.Context(), r, nil); err != nil || h.count("bash") != 2 {
			t.Errorf("after the failure: %v, %d builds", err, h.count("bash"))
		}
	})
	t.Run("the build runs out of time", func(t *testing.T) {
		h := newFakeHost(t)
		h.result = "hang"
		b, r, _ := h.builder()
		b.Timeout = time.Millisecond
		_, err := b.Build(t.Context(), r, nil)
		if err == nil || errors.Is(err, ErrBuildInputs) || !strings.HasPrefix(err.Error(), "building the ppc64le kvm-pr kernel did not finish within 1ms (killed); log: ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		h := newFakeHost(t)
		h.result = "hang"
		b, r, _ := h.builder()
		ctx, cancel := context.WithCancel(t.Context())
		b.Logf = func(string, ...any) { cancel() } // as the build starts
		if _, err := b.Build(ctx, r, nil); !errors.Is(err, context.Canceled) || errors.Is(err, ErrBuildInputs) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the recipe writes no image", func(t *testing.T) {
		h := newFakeHost(t)
		h.result = "no-image"
		b, r, _ := h.builder()
		if _, err := b.Build(t.Context(), r, nil); err == nil || errors.Is(err, ErrBuildInputs) || !strings.Contains(err.Error(), "wrote 0 vmlinux-* files") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the installer leaves a package out", func(t *testing.T) {
		h := newFakeHost(t)
		b, r, _ := h.builder()
		b.run = func(ctx context.Context, log io.Writer, name string, args ...string) error {
			if name == b.Deps {
				for _, p := range args[1:] {
					if p != "flex" {
						h.installed[p] = "1"
					}
				}
				return nil
			}
			return h.run(ctx, log, name, args...)
		}
		if _, err := b.Build(t.Context(), r, nil); err == nil || errors.Is(err, ErrBuildInputs) || !strings.Contains(err.Error(), "succeeded, but flex is still not installed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the source package has no tarball", func(t *testing.T) {
		h := newFakeHost(t)
		b, r, _ := h.builder()
		r.Tarball = filepath.Join(t.TempDir(), "missing.tar.xz")
		if _, err := b.Build(t.Context(), r, nil); err == nil || errors.Is(err, ErrBuildInputs) || !strings.Contains(err.Error(), "its tarball "+r.Tarball+" is not there") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestConfigOnly: only the configuration step runs, its config is copied
// out, nothing is cached.
func TestConfigOnly(t *testing.T) {
	h := newFakeHost(t)
	b, r, _ := h.builder()
	out := t.TempDir()
	cfg, err := b.Config(t.Context(), r, out)
	if err != nil || cfg != filepath.Join(out, "config-6.1.192") {
		t.Fatalf("Config = %q, %v", cfg, err)
	}
	if h.count("bash") != 1 || !strings.HasSuffix(h.calls[len(h.calls)-1], " --config-only") {
		t.Errorf("calls %v", h.calls)
	}
	if _, err := os.Stat(b.Dir(r, "6.1.192-3")); !os.IsNotExist(err) {
		t.Errorf("--config-only cached a build: %v", err)
	}
}

func TestParseBuildSpec(t *testing.T) {
	r, ok, err := ParseBuildSpec("build:ppc64le-pr")
	if !ok || err != nil || r.Name != "ppc64le-pr" || r.GOARCH != "ppc64le" || r.Spec() != "build:ppc64le-pr" || r.Label() != "build-ppc64le-pr" {
		t.Fatalf("%+v %v %v", r, ok, err)
	}
	if !strings.Contains(string(r.Config), "CONFIG_KVM_BOOK3S_64_PR=m") || !strings.Contains(string(r.Script), "KCONFIG_ALLCONFIG") {
		t.Error("the recipe's files are not the ones in ci/kernels")
	}
	if _, ok, err := ParseBuildSpec("build:nope"); !ok || err == nil || !strings.Contains(err.Error(), `no kernel recipe "nope": want build:ppc64le-pr`) {
		t.Errorf("unknown recipe: %v %v", ok, err)
	}
	if _, ok, _ := ParseBuildSpec("debian:bookworm"); ok {
		t.Error("debian:bookworm parsed as a recipe")
	}
	if !slices.Contains(r.Packages, r.Source) {
		t.Errorf("the source package %s is not among the build inputs %v", r.Source, r.Packages)
	}
}

// TestExecKillsTheProcessGroup: a build that runs out of time is killed
// with every process it started (make's compilers), not only the shell.
func TestExecKillsTheProcessGroup(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip(err)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	var b Builder
	// Niced, as a matrix runs it: nice(1) execs bash, whose process
	// group is still the one killed.
	err := b.exec(ctx, io.Discard, syscall.SIGKILL, nice.Lowest, "bash", "-c", "sleep 300 & echo $! > "+pidFile+"; wait")
	if err == nil {
		t.Fatal("no error from a killed command")
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	// Gone, or a zombie waiting for its new parent to reap it.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the build's child %d outlived it: %s", pid, stat)
		}
	}
}
