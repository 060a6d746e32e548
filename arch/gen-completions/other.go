//go:build !(linux && amd64)

// Command gen-completions writes the CMP-14 table of docs/completions.md;
// it runs on linux/amd64 only, where the x86 completion facts exist.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "gen-completions: run it on linux/amd64: the x86 completion facts exist only in amd64 builds")
	os.Exit(1)
}
