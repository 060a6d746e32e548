package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/guests"
)

// TestCommittedImagesMatchSources is `go run ./guests/build -check`, where
// the binutils are installed.
func TestCommittedImagesMatchSources(t *testing.T) {
	if err := missingTools(toolchains()); err != nil {
		t.Skip(err)
	}
	var out bytes.Buffer
	if err := build("..", true, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
}

// TestBuildWritesImages builds into a copy of the sources with one stale
// image and checks that the build replaces and removes what it must.
func TestBuildWritesImages(t *testing.T) {
	if err := missingTools(toolchains()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "src"), os.DirFS("../src")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "images", "x86", "gone.elf")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := build(dir, false, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale image survived the build: %v", err)
	}
	out.Reset()
	if err := build(dir, true, &out); err != nil {
		t.Fatalf("check right after a build: %v\n%s", err, out.String())
	}
	want, err := os.ReadFile("../images/arm64/report.elf")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "images", "arm64", "report.elf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("a build in another directory gave different bytes (not reproducible)")
	}
}

func TestCompare(t *testing.T) {
	built := map[string][]byte{"x86/a.elf": {1}, "x86/b.elf": {2}, "arm64/c.elf": {3}}
	committed := map[string][]byte{"x86/a.elf": {1}, "x86/b.elf": {9}, "x86/old.elf": {4}}
	got := compare(built, committed)
	want := []string{
		"arm64/c.elf: missing from guests/images",
		"x86/b.elf: differs from a fresh build",
		"x86/old.elf: extra, no source in guests/src",
	}
	if !slices.Equal(got, want) {
		t.Errorf("compare = %q, want %q", got, want)
	}
}

func TestMissingToolsNamesPackage(t *testing.T) {
	err := missingTools([]toolchain{{arch: "x", prefix: "no-such-prefix-", pkg: "binutils-no-such"}})
	if err == nil || !strings.Contains(err.Error(), "apt-get install binutils-no-such") ||
		!strings.Contains(err.Error(), "no-such-prefix-as") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missingTools = %v, want one line naming no-such-prefix-as and binutils-no-such", err)
	}
}

// TestMMIOLoadProgramsMatchTable writes every architecture's mmio-load-*
// programs (no binutils needed) and checks that there is exactly one per
// guests.MMIOLoads entry, with the entry's instruction at insn.
func TestMMIOLoadProgramsMatchTable(t *testing.T) {
	for _, tc := range toolchains() {
		loads := guests.MMIOLoads(tc.arch)
		progs, err := programs(filepath.Join("../src", tc.arch), tc.arch, loads)
		if err != nil {
			t.Fatal(err)
		}
		var generated []string
		for _, p := range progs {
			if !p.written {
				continue
			}
			generated = append(generated, p.name)
			text := string(p.text)
			if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") {
				t.Errorf("%s/%s: template left in the program:\n%s", tc.arch, p.name, text)
			}
		}
		var listed []string
		for _, l := range loads {
			listed = append(listed, l.Scenario)
			i := slices.IndexFunc(progs, func(p program) bool { return p.name == l.Scenario })
			if i < 0 {
				continue
			}
			if want := "\ninsn:\t" + l.Insn + "\n"; !strings.Contains(string(progs[i].text), want) {
				t.Errorf("%s/%s: no line %q in\n%s", tc.arch, l.Scenario, strings.TrimSpace(want), progs[i].text)
			}
		}
		slices.Sort(listed)
		if !slices.Equal(generated, listed) {
			t.Errorf("%s: programs written %q, MMIOLoads lists %q", tc.arch, generated, listed)
		}
	}
}

// TestMMIOLoadProgramErrors checks that the mmio-load-* programs come
// from a template and the table only, and that each needs the other.
func TestMMIOLoadProgramErrors(t *testing.T) {
	load := guests.MMIOLoad{Scenario: "mmio-load-x", Insn: "nop", Reg: "r1"}
	for _, c := range []struct {
		name  string
		files map[string]string
		loads []guests.MMIOLoad
		want  string // in the error; "" for success
		progs int    // on success
	}{
		{"no template, no table", map[string]string{"report.S": ""}, nil, "", 1},
		{"template and table", map[string]string{"report.S": "", mmioLoadTemplate: "insn:\t{{.Insn}}\n"}, []guests.MMIOLoad{load}, "", 2},
		{"hand-written source", map[string]string{"mmio-load-y.S": "", mmioLoadTemplate: ""}, []guests.MMIOLoad{load}, "add a table entry instead", 0},
		{"table, no template", nil, []guests.MMIOLoad{load}, "mmio-load.S.tmpl is missing", 0},
		{"template, no table", map[string]string{mmioLoadTemplate: ""}, nil, "has no entries", 0},
		{"duplicate entry", map[string]string{mmioLoadTemplate: ""}, []guests.MMIOLoad{load, load}, "not a new mmio-load-* name", 0},
		{"bad name", map[string]string{mmioLoadTemplate: ""}, []guests.MMIOLoad{{Scenario: "report"}}, "not a new mmio-load-* name", 0},
		{"bad field", map[string]string{mmioLoadTemplate: "{{.NoSuchField}}"}, []guests.MMIOLoad{load}, "mmio-load-x", 0},
		{"bad template", map[string]string{mmioLoadTemplate: "{{if}}"}, []guests.MMIOLoad{load}, "parse a/mmio-load.S.tmpl", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range c.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			progs, err := programs(dir, "a", c.loads)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("programs = %v, want an error containing %q", err, c.want)
			case c.want == "" && len(progs) != c.progs:
				t.Errorf("programs = %+v", progs)
			}
		})
	}
}

// TestX86TemplateRefusesOtherRegisters checks the guard in the x86
// template: it poisons EAX, so an entry with another Reg must not
// assemble silently.
func TestX86TemplateRefusesOtherRegisters(t *testing.T) {
	progs, err := mmioLoadPrograms("../src/x86", "x86", []guests.MMIOLoad{{Scenario: "mmio-load-movl-ebx", Insn: "movl %es:0, %ebx", Reg: "rbx"}})
	if err != nil {
		t.Fatal(err)
	}
	if text := string(progs[0].text); !strings.Contains(text, "\t.error\t") {
		t.Errorf("no .error for Reg rbx in\n%s", text)
	}
	tcs := toolchains()
	x86 := tcs[slices.IndexFunc(tcs, func(tc toolchain) bool { return tc.arch == guests.X86 })]
	if err := missingTools([]toolchain{x86}); err != nil {
		t.Skip(err)
	}
	srcDir, err := filepath.Abs("../src/x86") // the tools run in the scratch directory
	if err != nil {
		t.Fatal(err)
	}
	_, err = assemble(x86, srcDir, t.TempDir(), progs[0])
	if err == nil || !strings.Contains(err.Error(), "Reg is rbx") || !strings.Contains(err.Error(), "the program:") {
		t.Errorf("assemble = %v, want the template's error and the program", err)
	}
}
