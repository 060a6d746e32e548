// Command genspecs writes docs/specs.md, the list of kvmconform's specs, from
// the spec tree itself: Ginkgo's dry run through the linked binary
// (kvmconform specs) for every architecture family, merged, with the spec
// lines, kernel sources and first versions read from the specs' own labels,
// texts and comments.
//
//	go run ./tools/genspecs          # rewrite docs/specs.md
//	go run ./tools/genspecs -check   # exit 1 if docs/specs.md is stale
//
// Each architecture's binary is cross-built with the go command
// (CGO_ENABLED=0) and run with `kvmconform specs`: natively for the host's
// GOARCH, under qemu-user-static (qemu-<arch>-static) for the others
// (scripts/deps installs it). go test ./tools/genspecs runs the check.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	check := flag.Bool("check", false, "do not write; exit 1 if docs/specs.md differs from a fresh generation")
	root := flag.String("root", ".", "the kvmconform module directory")
	flag.Parse()
	g := &Generator{Root: *root, Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "genspecs: "+f+"\n", a...) }}
	doc, err := g.Generate()
	if err != nil {
		fmt.Fprintf(os.Stderr, "genspecs: %v\n", err)
		os.Exit(1)
	}
	file := filepath.Join(*root, DocFile)
	if *check {
		old, err := os.ReadFile(file)
		if err != nil || !bytes.Equal(old, doc) {
			fmt.Fprintf(os.Stderr, "genspecs: %s is stale: run go run ./tools/genspecs\n", DocFile)
			os.Exit(1)
		}
		return
	}
	if err := os.WriteFile(file, doc, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "genspecs: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "genspecs: wrote %s\n", DocFile)
}
