package main

import (
	"bufio"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/suites/all"
)

func TestSpecsCommand(t *testing.T) {
	code, out, errs := runCmd("specs")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, %s", code, errs)
	}
	areas := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e SpecEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(all.Names(), e.Area) || e.Text == "" || e.LeafLine == 0 || !strings.Contains(e.LeafFile, "suites/"+e.Area+"/") {
			t.Errorf("entry %+v", e)
		}
		areas[e.Area]++
	}
	for _, a := range all.Names() {
		if areas[a] == 0 {
			t.Errorf("no spec of area %s", a)
		}
	}
	if code, _, errs := runCmd("specs", "x"); code != 2 || !strings.Contains(errs, `unexpected argument "x"`) {
		t.Errorf("specs x: exit %d %q", code, errs)
	}
}
