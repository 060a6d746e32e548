package runner

import (
	"os"
	"strings"
)

// readFile returns a file's contents, nil if it cannot be read.
func readFile(path string) []byte {
	data, _ := os.ReadFile(path)
	return data
}

// moduleNames are the names of the loaded KVM modules in meta
// (/proc/modules lines) and the built-in ones.
func moduleNames(meta Metadata) []string {
	var names []string
	for _, m := range meta.KVMModules {
		if f := strings.Fields(m); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	for _, m := range meta.KVMBuiltin {
		names = append(names, strings.ReplaceAll(m, "-", "_"))
	}
	return names
}
