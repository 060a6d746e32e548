// Package gobuild cross-builds the conformance binary (cmd/kvmconform,
// which links every suite) and the guest init with the go command
// (CGO_ENABLED=0, GOOS=linux, GOARCH=<target>), and lists the suites.
package gobuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kvmconform/kvmconform/ci/internal/nice"
)

// InitPackage is the import path of the guest init.
const InitPackage = "github.com/kvmconform/kvmconform/ci/guestinit"

// ConformPackage is the conformance binary's package, relative to the
// module directory (Builder.Dir).
const ConformPackage = "./cmd/kvmconform"

// ConformName is the conformance binary's file name.
const ConformName = "kvmconform"

// Builder runs the go command.
type Builder struct {
	// Dir is the module directory holding the suites (default ".").
	Dir string
	// Pattern selects the suite packages (default "./suites/..."): the
	// areas the guest runs, each a package with tests (its
	// <area>_suite_test.go); the conformance binary links them all.
	Pattern string
	// ConformPkg is the conformance binary's package in Dir (default
	// ConformPackage).
	ConformPkg string
	// InitDir is a directory inside the kvmconform module, where the guest
	// init is built (default ".").
	InitDir string
	// Out is where binaries go (<Out>/<goarch>/...).
	Out string
	// Logf reports progress; may be nil.
	Logf func(format string, args ...any)
	// Nice, if positive, is the go command's niceness (package nice): a
	// cross-build started ahead of the row that needs it.
	Nice int
}

// Suite is one suite package: an area of the conformance binary.
type Suite struct {
	// Name is the area's name (path below the pattern root with '/'
	// replaced by '-', e.g. "abi"): what kvmconform run --area takes.
	Name string
	// Package is the import path.
	Package string
}

func (b *Builder) dir() string {
	if b.Dir == "" {
		return "."
	}
	return b.Dir
}

func (b *Builder) pattern() string {
	if b.Pattern == "" {
		return "./suites/..."
	}
	return b.Pattern
}

func (b *Builder) logf(format string, args ...any) {
	if b.Logf != nil {
		b.Logf(format, args...)
	}
}

func (b *Builder) goCmd(ctx context.Context, dir, goarch string, args ...string) (string, error) {
	bin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go command not found: %w", err)
	}
	name, argv := nice.Command(b.Nice, bin, args...)
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("GOARCH=%s go %s: %w: %s", goarch, args[0], err, Summary(stderr.String(), 3))
	}
	return stdout.String(), nil
}

// List returns the packages matched by the pattern that have tests, except
// internal ones.
func (b *Builder) List(ctx context.Context, goarch string) ([]Suite, error) {
	out, err := b.goCmd(ctx, b.dir(), goarch, "list", "-f",
		`{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{"\t"}}{{.Dir}}{{end}}`, b.pattern())
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs(filepath.Join(b.dir(), strings.TrimSuffix(strings.TrimSuffix(b.pattern(), "..."), "/")))
	if err != nil {
		return nil, fmt.Errorf("suites: %w", err)
	}
	var suites []Suite
	seen := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		pkg, dir, ok := strings.Cut(line, "\t")
		if !ok || isInternal(pkg) {
			continue
		}
		name := SuiteName(root, dir, pkg)
		if other, dup := seen[name]; dup {
			return nil, fmt.Errorf("suites %s and %s would both be named %s", other, pkg, name)
		}
		seen[name] = pkg
		suites = append(suites, Suite{Name: name, Package: pkg})
	}
	if len(suites) == 0 {
		return nil, fmt.Errorf("no packages with tests match %s in %s", b.pattern(), b.dir())
	}
	return suites, nil
}

// isInternal reports whether pkg is an internal package: below suites/
// those hold the shared harness and its own unit tests (which build and
// run planted suites with the go command), not specs to run in a guest.
func isInternal(pkg string) bool {
	return strings.Contains(pkg+"/", "/internal/")
}

// SuiteName names a suite binary after its directory below root
// ("suites/vcpu/kicks" -> "vcpu-kicks"), or after the last element of its
// import path when it is not below root.
func SuiteName(root, dir, pkg string) string {
	if rel, err := filepath.Rel(root, dir); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		return strings.ReplaceAll(filepath.ToSlash(rel), "/", "-")
	}
	return pkg[strings.LastIndex(pkg, "/")+1:]
}

// Conform cross-builds the conformance binary for goarch as
// <Out>/<goarch>/kvmconform (static, -trimpath, stripped) and returns its
// path.
func (b *Builder) Conform(ctx context.Context, goarch string) (string, error) {
	pkg := b.ConformPkg
	if pkg == "" {
		pkg = ConformPackage
	}
	out := filepath.Join(b.Out, goarch, ConformName)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("build dir: %w", err)
	}
	b.logf("building %s for %s", pkg, goarch)
	if _, err := b.goCmd(ctx, b.dir(), goarch, "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg); err != nil {
		return "", fmt.Errorf("building the conformance binary: %w", err)
	}
	return out, nil
}

// Vet runs go vet on the suite packages for goarch.
func (b *Builder) Vet(ctx context.Context, goarch string) error {
	b.logf("vetting %s for %s", b.pattern(), goarch)
	if _, err := b.goCmd(ctx, b.dir(), goarch, "vet", b.pattern()); err != nil {
		return fmt.Errorf("vet: %w", err)
	}
	return nil
}

// Init cross-builds the guest init for goarch and returns its path.
func (b *Builder) Init(ctx context.Context, goarch string) (string, error) {
	out, err := b.Command(ctx, goarch, InitPackage, "init")
	if err != nil {
		return "", fmt.Errorf("building the guest init: %w", err)
	}
	return out, nil
}

// Command cross-builds the command pkg (an import path in the kvmconform
// module, built in InitDir) for goarch as <Out>/<goarch>/<name>.
func (b *Builder) Command(ctx context.Context, goarch, pkg, name string) (string, error) {
	dir := b.InitDir
	if dir == "" {
		dir = "."
	}
	out := filepath.Join(b.Out, goarch, name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("build dir: %w", err)
	}
	if _, err := b.goCmd(ctx, dir, goarch, "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg); err != nil {
		return "", err
	}
	return out, nil
}

// Summary squeezes the go command's diagnostics into one line: the first n
// lines that are not "# package" headers, joined with " | ".
func Summary(out string, n int) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return "(no output)"
	}
	more := ""
	if len(lines) > n {
		more = fmt.Sprintf(" (+%d more lines)", len(lines)-n)
		lines = lines[:n]
	}
	return strings.Join(lines, " | ") + more
}
