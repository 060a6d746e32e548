//go:build linux && amd64

// Command gen-completions writes the CMP-14 table of docs/completions.md
// from the architectures' completion facts (arch/*/facts.go): for every
// exit KVM completes at the next KVM_RUN, on every kernel path, what the
// completion does when userspace moved the PC or changed the destination
// register during the exit, and where the kernel decides it.
//
//	go run ./arch/gen-completions            # rewrite docs/completions.md
//	go run ./arch/gen-completions -o FILE    # another file
//
// Only the section between the generated markers is rewritten. It runs on
// linux/amd64 only, because the x86 facts exist only in amd64 builds. `go
// test ./arch/gen-completions` fails when the committed doc is stale (and
// rewrites it with -update).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("o", "", "the doc to rewrite (default: docs/completions.md of the module)")
	flag.Parse()
	path := *out
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen-completions:", err)
			os.Exit(1)
		}
		path = filepath.Join(root, "docs", "completions.md")
	}
	changed, err := update(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-completions:", err)
		os.Exit(1)
	}
	if changed {
		fmt.Println("wrote", path)
	}
}

// moduleRoot is the nearest directory up from the working directory that
// holds go.mod.
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
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
