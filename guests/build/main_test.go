package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
