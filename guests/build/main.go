// Command build assembles the guest programs in guests/src/<arch>/*.S into
// the ELF images guests/images/<arch>/<scenario>.elf that package guests
// embeds.
//
//	go run ./guests/build          rebuild the committed images
//	go run ./guests/build -check   rebuild into a temporary directory and
//	                               fail, naming each image, if the committed
//	                               images differ, are missing or are extra
//
// Every image is assembled and linked with fixed flags by the binutils of
// its architecture (one Debian package per architecture, see tools below):
// the link address comes from guests/src/<arch>/link.ld, there is no build
// ID, no debug information and no timestamp, and the tools run in a scratch
// directory under fixed file names, so the output is byte-for-byte
// reproducible.
//
// The mmio-load-* programs have no source files: for every entry of
// guests.MMIOLoads(arch), the build writes the program from the template
// guests/src/<arch>/mmio-load.S.tmpl (text/template, the entry as data)
// into the scratch directory and assembles it like a source. A
// hand-written mmio-load-*.S is an error, and so is a table without a
// template or a template without a table. The table is the one compiled
// into this command (package guests), whatever -dir says.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/kvmconform/kvmconform/guests"
)

// mmioLoadTemplate is the file in guests/src/<arch> that the mmio-load-*
// programs are written from, and mmioLoadPrefix their names' prefix.
const (
	mmioLoadTemplate = "mmio-load.S.tmpl"
	mmioLoadPrefix   = "mmio-load-"
)

// toolchain is how one architecture's sources are assembled and linked.
type toolchain struct {
	arch    string   // directory name under src/ and images/ (package guests' vocabulary)
	prefix  string   // binutils program prefix
	pkg     string   // Debian package that has prefix+"as" and prefix+"ld"
	asFlags []string // besides -I, -o and --fatal-warnings
	ldFlags []string // besides the common ones in link
}

// toolchains lists every architecture with guest sources.
func toolchains() []toolchain {
	return []toolchain{
		{"x86", "x86_64-linux-gnu-", "binutils-x86-64-linux-gnu",
			[]string{"--32"}, []string{"-m", "elf_i386"}},
		{"arm64", "aarch64-linux-gnu-", "binutils-aarch64-linux-gnu",
			[]string{"-EL"}, []string{"-m", "aarch64linux"}},
		{"ppc64", "powerpc64le-linux-gnu-", "binutils-powerpc64le-linux-gnu",
			[]string{"-a64", "-mlittle", "-mpower8"}, []string{"-m", "elf64lppc"}},
		{"riscv64", "riscv64-linux-gnu-", "binutils-riscv64-linux-gnu",
			[]string{"-march=rv64imac", "-mabi=lp64", "-mno-relax"}, []string{"-m", "elf64lriscv", "--no-relax"}},
		{"s390x", "s390x-linux-gnu-", "binutils-s390x-linux-gnu",
			[]string{"-m64", "-march=z10"}, []string{"-m", "elf64_s390"}},
		{"mips", "mips64el-linux-gnuabi64-", "binutils-mips64el-linux-gnuabi64",
			[]string{"-EL", "-march=mips64r2", "-mabi=64", "-non_shared", "-msym32"}, []string{"-m", "elf64ltsmip"}},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests. It returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "rebuild into a temporary directory and compare with the committed images")
	dir := fs.String("dir", "", "the guests directory (default: guests/ of the module that contains the working directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	guests := *dir
	if guests == "" {
		root, err := moduleRoot()
		if err != nil {
			fmt.Fprintf(stderr, "guests/build: %v\n", err)
			return 1
		}
		guests = filepath.Join(root, "guests")
	}
	if err := build(guests, *check, stdout); err != nil {
		fmt.Fprintf(stderr, "guests/build: %v\n", err)
		return 1
	}
	return 0
}

// moduleRoot is the nearest directory at or above the working directory
// that holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory: run from the module or pass -dir")
		}
		dir = parent
	}
}

// build assembles every source under guests/src, then either replaces
// guests/images with the result or (check) compares.
func build(guests string, check bool, stdout io.Writer) error {
	guests, err := filepath.Abs(guests) // the tools run in a scratch directory
	if err != nil {
		return err
	}
	tcs := toolchains()
	if err := missingTools(tcs); err != nil {
		return err
	}
	built, err := buildAll(filepath.Join(guests, "src"), tcs)
	if err != nil {
		return err
	}
	images := filepath.Join(guests, "images")
	committed, err := readImages(images)
	if err != nil {
		return err
	}
	if check {
		if diffs := compare(built, committed); len(diffs) > 0 {
			for _, d := range diffs {
				fmt.Fprintf(stdout, "guests/build: %s\n", d)
			}
			return fmt.Errorf("%d image(s) do not match guests/src: run `go run ./guests/build` and commit guests/images", len(diffs))
		}
		fmt.Fprintf(stdout, "guests/build: %d images match guests/src\n", len(built))
		return nil
	}
	changed, err := writeImages(images, built, committed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "guests/build: %d images, %d changed\n", len(built), changed)
	return nil
}

// buildAll assembles every source and written program of every
// toolchain, in parallel, each in its own scratch directory, and returns
// the images keyed "arch/scenario.elf".
func buildAll(src string, tcs []toolchain) (map[string][]byte, error) {
	type job struct {
		tc   toolchain
		prog program
		elf  []byte
		err  error
	}
	var jobs []*job
	for _, tc := range tcs {
		progs, err := programs(filepath.Join(src, tc.arch), tc.arch, guests.MMIOLoads(tc.arch))
		if err != nil {
			return nil, err
		}
		for _, p := range progs {
			jobs = append(jobs, &job{tc: tc, prog: p})
		}
	}
	scratch, err := os.MkdirTemp("", "guests-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.NumCPU())
	for i, j := range jobs {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			work := filepath.Join(scratch, strconv.Itoa(i))
			if j.err = os.Mkdir(work, 0o755); j.err == nil {
				j.elf, j.err = assemble(j.tc, filepath.Join(src, j.tc.arch), work, j.prog)
			}
		})
	}
	wg.Wait()
	built := map[string][]byte{}
	for _, j := range jobs {
		if j.err != nil {
			return nil, j.err
		}
		built[j.tc.arch+"/"+j.prog.name+".elf"] = j.elf
	}
	return built, nil
}

// missingTools names, in one error, the first missing binutils program of
// each architecture and the Debian packages that provide them.
func missingTools(tcs []toolchain) error {
	var progs, pkgs []string
	for _, tc := range tcs {
		for _, tool := range []string{"as", "ld"} {
			if _, err := exec.LookPath(tc.prefix + tool); err != nil {
				progs = append(progs, tc.prefix+tool)
				pkgs = append(pkgs, tc.pkg)
				break
			}
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s not found: apt-get install %s", strings.Join(progs, ", "), strings.Join(pkgs, " "))
}

// program is one image's assembly program: the source file
// <srcDir>/<name>.S, or text written from a template (written).
type program struct {
	name    string // the scenario
	written bool   // text is the program; else it is the source file
	text    []byte
}

// programs lists, sorted by name, the programs of one architecture: the
// sources in srcDir and one mmio-load-* program per entry of loads,
// written from srcDir's mmio-load.S.tmpl.
func programs(srcDir, arch string, loads []guests.MMIOLoad) ([]program, error) {
	names, err := sources(srcDir)
	if err != nil {
		return nil, err
	}
	var out []program
	for _, name := range names {
		if strings.HasPrefix(name, mmioLoadPrefix) {
			return nil, fmt.Errorf("%s/%s.S: the %s* programs are written from %s/%s and guests.MMIOLoads: add a table entry instead of a source",
				arch, name, mmioLoadPrefix, arch, mmioLoadTemplate)
		}
		out = append(out, program{name: name})
	}
	gen, err := mmioLoadPrograms(srcDir, arch, loads)
	if err != nil {
		return nil, err
	}
	out = append(out, gen...)
	slices.SortFunc(out, func(a, b program) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// mmioLoadPrograms writes one program per entry of loads (arch's
// guests.MMIOLoads) from srcDir's mmio-load.S.tmpl. No template and no
// entries is no programs; one without the other is an error.
func mmioLoadPrograms(srcDir, arch string, loads []guests.MMIOLoad) ([]program, error) {
	where := arch + "/" + mmioLoadTemplate
	text, err := os.ReadFile(filepath.Join(srcDir, mmioLoadTemplate))
	switch {
	case errors.Is(err, os.ErrNotExist) && len(loads) == 0:
		return nil, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s is missing: guests.MMIOLoads(%q) has %d entries to write from it", where, arch, len(loads))
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", where, err)
	case len(loads) == 0:
		return nil, fmt.Errorf("%s: guests.MMIOLoads(%q) has no entries to write from it", where, arch)
	}
	tmpl, err := template.New(mmioLoadTemplate).
		Funcs(template.FuncMap{"hasPrefix": strings.HasPrefix}).
		Option("missingkey=error").
		Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", where, err)
	}
	var out []program
	seen := map[string]bool{}
	for _, l := range loads {
		name := l.Scenario
		if !strings.HasPrefix(name, mmioLoadPrefix) || strings.ContainsAny(name, `/\`) || seen[name] {
			return nil, fmt.Errorf("guests.MMIOLoads(%q): scenario %q is not a new %s* name", arch, name, mmioLoadPrefix)
		}
		seen[name] = true
		var b bytes.Buffer
		if err := tmpl.Execute(&b, l); err != nil {
			return nil, fmt.Errorf("%s for %s: %w", where, name, err)
		}
		out = append(out, program{name: name, written: true, text: b.Bytes()})
	}
	return out, nil
}

// sources lists the scenario names (file names without .S) in dir, sorted.
func sources(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".S"); ok && e.Type().IsRegular() {
			names = append(names, name)
		}
	}
	return names, nil
}

// assemble builds one image in work and returns its bytes. The tools run in
// work with relative file names: the linker records the object's name in
// the symbol table, so the names must not depend on the scratch directory.
// A program written from a template goes to work as <name>.S and is
// assembled from there; its .include files come from srcDir like a
// source's.
func assemble(tc toolchain, srcDir, work string, p program) ([]byte, error) {
	name := p.name
	obj, elf := name+".o", name+".elf"
	src, what := filepath.Join(srcDir, name+".S"), tc.arch+"/"+name+".S"
	if p.written {
		src, what = name+".S", fmt.Sprintf("%s/%s.S (written from %s/%s)", tc.arch, name, tc.arch, mmioLoadTemplate)
		if err := os.WriteFile(filepath.Join(work, src), p.text, 0o644); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	asArgs := append(slices.Clone(tc.asFlags), "--fatal-warnings", "-I", srcDir, "-o", obj, src)
	if err := tool(work, tc.prefix+"as", asArgs); err != nil {
		if p.written {
			return nil, fmt.Errorf("%s: %w\nthe program:\n%s", what, err, numbered(p.text))
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ldArgs := append(slices.Clone(tc.ldFlags),
		"-T", filepath.Join(srcDir, "link.ld"),
		"--build-id=none", "-nostdlib", "-static", "-n", "--fatal-warnings",
		"-o", elf, obj)
	if err := tool(work, tc.prefix+"ld", ldArgs); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return os.ReadFile(filepath.Join(work, elf))
}

// numbered is text with line numbers, as the assembler's messages count
// them.
func numbered(text []byte) string {
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// tool runs one binutils program in dir; any output counts as a failure.
func tool(dir, prog string, args []string) error {
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err == nil && out.Len() > 0 {
		err = errors.New("unexpected output")
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// readImages reads the committed images, keyed "arch/scenario.elf". A
// missing images directory reads as empty.
func readImages(images string) (map[string][]byte, error) {
	out := map[string][]byte{}
	archDirs, err := os.ReadDir(images)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, a := range archDirs {
		if !a.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(images, a.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".elf") {
				continue
			}
			key := a.Name() + "/" + f.Name()
			if out[key], err = os.ReadFile(filepath.Join(images, key)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// compare describes, sorted by image, every difference between the built
// and the committed images.
func compare(built, committed map[string][]byte) []string {
	var diffs []string
	for key, b := range built {
		c, ok := committed[key]
		switch {
		case !ok:
			diffs = append(diffs, key+": missing from guests/images")
		case !bytes.Equal(b, c):
			diffs = append(diffs, key+": differs from a fresh build")
		}
	}
	for key := range committed {
		if _, ok := built[key]; !ok {
			diffs = append(diffs, key+": extra, no source in guests/src")
		}
	}
	sort.Strings(diffs)
	return diffs
}

// writeImages makes guests/images hold exactly the built images and returns
// how many files it wrote or removed.
func writeImages(images string, built, committed map[string][]byte) (int, error) {
	changed := 0
	for key, b := range built {
		if c, ok := committed[key]; ok && bytes.Equal(b, c) {
			continue
		}
		path := filepath.Join(images, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return changed, err
		}
		if err := writeFileAtomic(path, b); err != nil {
			return changed, err
		}
		changed++
	}
	for key := range committed {
		if _, ok := built[key]; ok {
			continue
		}
		if err := os.Remove(filepath.Join(images, filepath.FromSlash(key))); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}

// writeFileAtomic writes path through a temporary file in the same
// directory, so an interrupted build leaves no half-written image.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
