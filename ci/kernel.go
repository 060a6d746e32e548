package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/kernel"
	"github.com/kvmconform/kvmconform/ci/internal/variant"
)

// buildKernelUsage is the build:<recipe> part of the --kernel flags' help.
var buildKernelUsage = func() string {
	var names []string
	for _, r := range kernel.Recipes() {
		names = append(names, r.Spec())
	}
	return strings.Join(names, ", ") + " (built here from Debian's kernel source and cached; ci/kernels)"
}()

const kernelUsage = `usage: go run ./ci kernel [flags] build:RECIPE

Builds the kernel of a recipe in ci/kernels (build:ppc64le-pr: Debian's
linux-source-6.1 with ci/kernels/ppc64le-pr.config, the kernel that
ci run --variant pr boots), or finds it in the cache, as ci run does: its
build inputs are installed with scripts/deps, the build is cached below
<cache>/kernels/build/ under a key over the source package's version, the
config and the build script. Prints the kernel image, its modules
directory and the ci command that boots it. With --out DIR, also copies
them to DIR/vmlinux-<release> and DIR/modules/. With --config-only, only
configures the kernel and writes DIR/config-<release> (default DIR
out/kernels/<recipe>); nothing is built or cached.

flags:
`

type kernelConfig struct {
	recipe     kernel.Recipe
	cache, out string
	configOnly bool
	timeout    time.Duration
}

func parseKernel(args []string, stderr io.Writer) (*kernelConfig, error) {
	c := &kernelConfig{}
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fs.StringVar(&c.cache, "cache", "", "cache for kernels (default $XDG_CACHE_HOME/kvmconform or ~/.cache/kvmconform)")
	fs.StringVar(&c.out, "out", "", "also copy the kernel image and modules here (with --config-only: where the config goes; default out/kernels/<recipe>)")
	fs.BoolVar(&c.configOnly, "config-only", false, "only configure the kernel (allnoconfig with the recipe's fragment as its fixed values) and write config-<release>")
	fs.DurationVar(&c.timeout, "build-timeout", 30*time.Minute, "deadline of the build; it is killed then")
	if err := parseFlags(fs, args, kernelUsage, stderr); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("%w: give one kernel recipe (%s)", errUsage, buildKernelUsage)
	}
	r, ok, err := kernel.ParseBuildSpec(fs.Arg(0))
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: %q is not build:<recipe> (want %s)", errUsage, fs.Arg(0), buildKernelUsage)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	case c.timeout <= 0:
		return nil, fmt.Errorf("%w: --build-timeout %s: must be positive", errUsage, c.timeout)
	}
	c.recipe = r
	if c.configOnly && c.out == "" {
		c.out = filepath.Join("out", "kernels", r.Name)
	}
	if c.cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("%w: no cache directory (%v); give --cache", errUsage, err)
		}
		c.cache = filepath.Join(dir, "kvmconform")
	}
	for _, p := range []*string{&c.cache, &c.out} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		*p = abs
	}
	if err := cacheDir(c.cache); err != nil {
		return nil, fmt.Errorf("%w: --cache: %v", errUsage, err)
	}
	if c.out != "" {
		if err := outputDir(c.out); err != nil {
			return nil, fmt.Errorf("%w: --out: %v", errUsage, err)
		}
	}
	return c, nil
}

func kernelMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseKernel(args, stderr)
	if code, done := flagError("ci kernel", err, stderr); done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runKernel(ctx, c, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "ci kernel: %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

func runKernel(ctx context.Context, c *kernelConfig, stdout, stderr io.Writer) error {
	deps, err := filepath.Abs(filepath.Join("scripts", "deps"))
	if err != nil {
		return err
	}
	b := &kernel.Builder{Cache: c.cache, Deps: deps, Timeout: c.timeout,
		Logf: func(format string, args ...any) { fmt.Fprintf(stderr, "ci: "+format+"\n", args...) }}
	r := c.recipe
	if c.configOnly {
		cfg, err := b.Config(ctx, r, c.out)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, cfg)
		return nil
	}
	// The modules of the variant that boots this kernel (kvm_pr for
	// build:ppc64le-pr), checked as ci run would.
	var wanted []string
	v := variant.Variant{GOARCH: r.GOARCH}
	for _, cand := range variant.Of(r.GOARCH) {
		if cand.Kernel == r.Spec() {
			v, wanted = cand, cand.Modules
		}
	}
	k, err := b.Build(ctx, r, wanted)
	if err != nil {
		return err
	}
	how := "built in " + (time.Duration(k.Build.Seconds) * time.Second).String()
	if k.Build.Cached {
		how = "cached, built " + k.Build.Built.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "kernel %s (%s %s, %s): %s\n", k.Release, k.Build.Source, k.Build.SourceVersion, how, k.Image)
	fmt.Fprintf(stdout, "modules: %s\nlog: %s\n", filepath.Join(k.Build.Dir, "modules"), k.Build.Log)
	cmd := "go run ./ci run --arch " + r.GOARCH
	if v.Name != "" {
		cmd += " --variant " + v.Name
	}
	if c.out == "" {
		if v.Name == "" {
			cmd += " --kernel " + r.Spec()
		}
		fmt.Fprintln(stdout, cmd)
		return nil
	}
	image := filepath.Join(c.out, "vmlinux-"+k.Release)
	mods := filepath.Join(c.out, "modules")
	if err := copyTo(k.Image, image); err != nil {
		return err
	}
	kos, _ := filepath.Glob(filepath.Join(k.Build.Dir, "modules", "*.ko"))
	if len(kos) == 0 {
		return errors.New("no modules in " + filepath.Join(k.Build.Dir, "modules"))
	}
	for _, ko := range kos {
		if err := copyTo(ko, filepath.Join(mods, filepath.Base(ko))); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s --kernel %s --modules %s\n", cmd, image, mods)
	return nil
}

// copyTo copies a file, creating dst's directory.
func copyTo(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
