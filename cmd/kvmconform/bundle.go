package main

import (
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/kvmconform/kvmconform/expectations"
	"github.com/kvmconform/kvmconform/internal/bundle"
	"github.com/kvmconform/kvmconform/suites/all"
)

//go:embed bundle_readme.txt
var bundleReadme string

const bundleUsage = `usage: kvmconform bundle --arch GOARCH [--out FILE]

Cross-builds the conformance binary for GOARCH with the go command
(CGO_ENABLED=0, static; Go is needed here, not on the machine under test)
from the kvmconform module in the current directory, and writes
kvmconform-GOARCH.tar.gz (or --out FILE): the binary, the shipped
expectations (expectations.yaml), a README and bundle.json, all in the
directory kvmconform-GOARCH/. Unpacked on the target, ./kvmconform run does
the whole job.

GOARCH: ` + "amd64, arm64, ppc64, ppc64le, s390x, mips64, mips64le, riscv64, loong64" + `

Exit status: 0 when the bundle is written, 1 when the build fails, 2 on a
usage error.

flags:
`

func bundleMain(args []string, stdout, stderr io.Writer) int {
	var arch, out string
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&arch, "arch", "", "the target GOARCH (required)")
	fs.StringVar(&out, "out", "", "the bundle file (default kvmconform-GOARCH.tar.gz)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, bundleUsage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return 0
	}
	switch {
	case err != nil:
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case arch == "":
		err = errors.New("missing --arch (" + strings.Join(bundle.Supported(), ", ") + ")")
	case !slices.Contains(bundle.Supported(), arch):
		err = fmt.Errorf("--arch %q: not a GOARCH kvmconform supports (%s)", arch, strings.Join(bundle.Supported(), ", "))
	}
	if err == nil {
		if out == "" {
			out = bundle.FileName(arch)
		}
		// Before the build: a bundle that cannot be written is a usage
		// error, not a minute of cross-building first.
		if perr := outFileWritable(out); perr != nil {
			err = fmt.Errorf("--out %s: %v", out, perr)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform bundle: %v (kvmconform bundle -h for help)\n", err)
		return 2
	}
	start := time.Now()
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform bundle: %v\n", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "kvmconform-bundle-*")
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform bundle: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, bundle.Binary)
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/kvmconform")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	var buildErr bytes.Buffer
	build.Stdout, build.Stderr = &buildErr, &buildErr
	if err := build.Run(); err != nil {
		fmt.Fprintf(stderr, "kvmconform bundle: GOARCH=%s go build ./cmd/kvmconform in %s: %v: %s\n", arch, root, err, oneLine(buildErr.String()))
		return 1
	}
	data, err := os.ReadFile(bin)
	if err == nil {
		err = bundle.CheckBinary(data, arch)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform bundle: %v\n", err)
		return 1
	}
	m := bundle.Manifest{GOARCH: arch, Version: goVersionOf(root), GoVersion: goToolVersion(root), Built: time.Now().UTC().Truncate(time.Second), Areas: all.Names()}
	readme := strings.NewReplacer("{{GOARCH}}", arch, "{{VERSION}}", m.Version, "{{GOVERSION}}", m.GoVersion,
		"{{BUILT}}", m.Built.Format(time.RFC3339), "{{AREAS}}", strings.Join(m.Areas, ", ")).Replace(bundleReadme)
	if err := writeFileAtomic(out, func(w io.Writer) error {
		return bundle.Write(w, m, data, expectations.ShippedYAML(), []byte(readme))
	}); err != nil {
		fmt.Fprintf(stderr, "kvmconform bundle: %v\n", err)
		return 1
	}
	st, _ := os.Stat(out)
	fmt.Fprintf(stdout, "%s: kvmconform for %s (%s), %.1f MB, built in %.1fs\n", out, arch, m.Version, float64(st.Size())/1e6, time.Since(start).Seconds())
	return 0
}

// outFileWritable makes sure path can be written as a file: it is not a
// directory, and its directory exists (it is created if missing) and takes
// a new file.
func outFileWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("is a directory")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// moduleRoot is the directory of the kvmconform module the current
// directory is in.
func moduleRoot() (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", errors.New("the go command is not installed: bundle builds the binary with it (the bundle itself needs no Go)")
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not in a Go module: run kvmconform bundle in the kvmconform source tree")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(data, []byte("module github.com/kvmconform/kvmconform\n")) {
		return "", fmt.Errorf("%s is not kvmconform's module: run kvmconform bundle in the kvmconform source tree", gomod)
	}
	return filepath.Dir(gomod), nil
}

// goVersionOf is the source's VCS revision ("" when unknown), as
// `git describe` would say it, else this binary's version.
func goVersionOf(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return version()
}

func goToolVersion(root string) string {
	cmd := exec.Command("go", "env", "GOVERSION")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return runtime.Version()
}
