package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"runtime"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/kvmconform/kvmconform/suites/all"
)

const specsUsage = `usage: kvmconform specs

Lists the specs linked into this binary (Ginkgo's dry run of every area's
tree, nothing runs) as JSON, one spec per line: the GOARCH of this build,
the area, the full text, the leaf and container texts, the labels and the
code locations. tools/genspecs merges the lists of every architecture into
docs/specs.md.
`

// SpecEntry is one spec of kvmconform specs.
type SpecEntry struct {
	GOARCH     string   `json:"goarch"`
	Area       string   `json:"area"`
	Text       string   `json:"text"`
	Leaf       string   `json:"leaf"`
	Containers []string `json:"containers"`
	Labels     []string `json:"labels"`
	// LeafFile and LeafLine are where the It or Entry is; ContainerFiles
	// and ContainerLines the containers', outermost first (the innermost
	// of a table entry is its DescribeTable).
	LeafFile       string   `json:"leafFile"`
	LeafLine       int      `json:"leafLine"`
	ContainerFiles []string `json:"containerFiles"`
	ContainerLines []int    `json:"containerLines"`
}

func specsMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("specs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, specsUsage)
		return 0
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "kvmconform specs: %v (kvmconform specs -h for help)\n", err)
		return 2
	}
	sc, rc := ginkgo.GinkgoConfiguration()
	report := ginkgo.PreviewSpecs("kvmconform", sc, rc)
	areas := map[string]*regexp.Regexp{}
	for _, a := range all.Areas {
		areas[a.Name] = regexp.MustCompile(all.FileFilter(a.Name))
	}
	enc := json.NewEncoder(stdout)
	for _, s := range report.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		e := SpecEntry{GOARCH: runtime.GOARCH, Text: s.FullText(), Leaf: s.LeafNodeText, Containers: s.ContainerHierarchyTexts,
			Labels: s.Labels(), LeafFile: s.LeafNodeLocation.FileName, LeafLine: s.LeafNodeLocation.LineNumber}
		for _, l := range s.ContainerHierarchyLocations {
			e.ContainerFiles = append(e.ContainerFiles, l.FileName)
			e.ContainerLines = append(e.ContainerLines, l.LineNumber)
		}
		for _, a := range all.Areas {
			if areas[a.Name].MatchString(e.LeafFile) || len(e.ContainerFiles) > 0 && areas[a.Name].MatchString(e.ContainerFiles[0]) {
				e.Area = a.Name
				break
			}
		}
		if err := enc.Encode(e); err != nil {
			fmt.Fprintf(stderr, "kvmconform specs: %v\n", err)
			return 1
		}
	}
	return 0
}
