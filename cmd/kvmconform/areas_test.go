package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kvmconform/kvmconform/suites/all"
)

// TestEveryAreaListed keeps suites/all.Areas in step with the directories: every
// suites/<area> with a *_suite_test.go is listed, under its directory name,
// in directory order.
func TestEveryAreaListed(t *testing.T) {
	files, err := filepath.Glob("../../suites/*/*_suite_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, f := range files {
		d := filepath.Base(filepath.Dir(f))
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		t.Skip("no suite sources beside the package")
	}
	if got := all.Names(); !slices.Equal(got, dirs) {
		t.Errorf("all.Areas are %v, the suites/ directories with a suite are %v", got, dirs)
	}
	for _, a := range all.Areas {
		if a.Description == "" {
			t.Errorf("area %s has no description", a.Name)
		}
		if _, err := os.Stat(filepath.Join("../../suites", a.Name)); err != nil {
			t.Errorf("area %s: %v", a.Name, err)
		}
	}
}
