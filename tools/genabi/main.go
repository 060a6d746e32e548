// Command genabi regenerates the per-architecture KVM ABI files (ioctl
// numbers, constants, struct layouts and kvm_run offsets) from the Linux uapi
// headers, with `go tool cgo -godefs` and clang as the cross compiler.
//
//	go run ./tools/genabi          # rewrite the zuapi_linux_<goarch>.go files
//	go run ./tools/genabi -check   # exit 1 if a committed file is stale
//
// The headers are pinned: Debian trixie's linux-libc-dev (Linux 6.12 uapi,
// Architecture: all, so one package holds asm/ for every architecture). They
// are fetched with apt into a private state directory under the cache dir;
// nothing is installed on the system. clang-19 (Debian bookworm) is the only
// compiler needed: `--target=<triplet>` gives each architecture's layout.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	check := flag.Bool("check", false, "compare with the committed files instead of writing them")
	root := flag.String("root", ".", "repository root")
	cache := flag.String("cache", "", "cache directory for the pinned headers (default: $XDG_CACHE_HOME/kvmconform)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "genabi: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	g, err := NewGenerator(*root, *cache)
	if err != nil {
		fmt.Fprintf(os.Stderr, "genabi: %v\n", err)
		os.Exit(1)
	}
	if *check {
		stale, err := g.Check()
		if err != nil {
			fmt.Fprintf(os.Stderr, "genabi: %v\n", err)
			os.Exit(1)
		}
		for _, f := range stale {
			fmt.Fprintf(os.Stderr, "genabi: %s differs from a fresh generation (run: go run ./tools/genabi)\n", f)
		}
		if len(stale) > 0 {
			os.Exit(1)
		}
		fmt.Println("genabi: all generated ABI files are current")
		return
	}
	if err := g.Write(); err != nil {
		fmt.Fprintf(os.Stderr, "genabi: %v\n", err)
		os.Exit(1)
	}
}
