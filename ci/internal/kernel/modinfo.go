package kernel

import (
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Module is a loadable kernel module file.
type Module struct {
	// Name is the module name with '-' normalised to '_' (kvm_amd).
	Name string `json:"name"`
	// Path is the file (.ko, .ko.xz, .ko.zst or .ko.gz).
	Path string `json:"path"`
	// Depends are the names of the modules it needs, from modinfo.
	Depends []string `json:"depends,omitempty"`
}

// Modinfo is what the .modinfo section of a module says.
type Modinfo struct {
	Name     string
	Depends  []string
	Vermagic string
	// Fields holds every key; repeated keys (alias, parm) keep all values.
	Fields map[string][]string
}

// ModuleName normalises a module or file name to the kernel's module name:
// directory and extensions dropped, '-' replaced by '_'.
func ModuleName(file string) string {
	base := filepath.Base(file)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		base = strings.TrimSuffix(base, ext)
	}
	base = strings.TrimSuffix(base, ".ko")
	return strings.ReplaceAll(base, "-", "_")
}

func isModuleFile(name string) bool {
	for _, ext := range []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// ParseModinfo parses the content of a .modinfo ELF section: NUL-separated
// key=value strings.
func ParseModinfo(section []byte) Modinfo {
	mi := Modinfo{Fields: map[string][]string{}}
	for _, s := range bytes.Split(section, []byte{0}) {
		k, v, ok := strings.Cut(string(s), "=")
		if !ok || k == "" {
			continue
		}
		mi.Fields[k] = append(mi.Fields[k], v)
		switch k {
		case "name":
			mi.Name = strings.ReplaceAll(v, "-", "_")
		case "vermagic":
			mi.Vermagic = v
		case "depends":
			for _, d := range strings.Split(v, ",") {
				if d = strings.TrimSpace(d); d != "" {
					mi.Depends = append(mi.Depends, strings.ReplaceAll(d, "-", "_"))
				}
			}
		}
	}
	return mi
}

// ReadModinfo reads the .modinfo section of a module file. Compressed modules
// are decompressed first (.gz in Go, .xz and .zst with the xz and zstd
// tools).
func ReadModinfo(ctx context.Context, path string) (Modinfo, error) {
	data, err := readModule(ctx, path)
	if err != nil {
		return Modinfo{}, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return Modinfo{}, fmt.Errorf("module %s: not an ELF file: %w", path, err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return Modinfo{}, fmt.Errorf("module %s: no .modinfo section", path)
	}
	raw, err := sec.Data()
	if err != nil {
		return Modinfo{}, fmt.Errorf("module %s: reading .modinfo: %w", path, err)
	}
	mi := ParseModinfo(raw)
	if mi.Name == "" {
		mi.Name = ModuleName(path)
	}
	return mi, nil
}

func readModule(ctx context.Context, path string) ([]byte, error) {
	var tool, pkg string
	switch {
	case strings.HasSuffix(path, ".xz"):
		tool, pkg = "xz", "xz-utils"
	case strings.HasSuffix(path, ".zst"):
		tool, pkg = "zstd", "zstd"
	case strings.HasSuffix(path, ".gz"):
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("module: %w", err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", path, err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", path, err)
		}
		return data, nil
	default:
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("module: %w", err)
		}
		return data, nil
	}
	bin, err := exec.LookPath(tool)
	if err != nil {
		return nil, fmt.Errorf("module %s: reading it needs %s (Debian package %s): %w", path, tool, pkg, err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-dc", path)
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("module %s: %s -dc: %w: %s", path, tool, err, strings.TrimSpace(stderr.String()))
	}
	return data, nil
}

// IndexModules maps module names to files for every module file below dir.
// When a name occurs twice the first path in lexical order wins.
func IndexModules(dir string) (map[string]string, error) {
	idx := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && isModuleFile(d.Name()) {
			if _, dup := idx[ModuleName(d.Name())]; !dup {
				idx[ModuleName(d.Name())] = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexing modules in %s: %w", dir, err)
	}
	return idx, nil
}

// ErrCycle is returned by Order for circular module dependencies.
var ErrCycle = errors.New("circular module dependency")

// Order returns the modules needed to load wanted, each after the modules it
// depends on. deps gives a module's dependencies. A wanted module that
// depends is false for is reported in builtin (assumed built into the
// kernel); a missing dependency is an error, since modpost only records
// dependencies on modules.
func Order(wanted []string, has func(name string) bool, deps func(name string) ([]string, error)) (order, builtin []string, err error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("%w: %s", ErrCycle, strings.Join(append(path, name), " -> "))
		}
		state[name] = visiting
		ds, err := deps(name)
		if err != nil {
			return err
		}
		ds = append([]string(nil), ds...)
		sort.Strings(ds)
		for _, d := range ds {
			if !has(d) {
				return fmt.Errorf("module %s depends on %s, which is not in the modules directory", name, d)
			}
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, w := range wanted {
		w = strings.ReplaceAll(w, "-", "_")
		if !has(w) {
			builtin = append(builtin, w)
			continue
		}
		if err := visit(w, nil); err != nil {
			return nil, nil, err
		}
	}
	return order, builtin, nil
}

// Resolve finds wanted (and their dependencies) below dir and returns them in
// load order. Wanted modules with no file are returned in builtin.
func Resolve(ctx context.Context, dir string, wanted []string) (mods []Module, builtin []string, err error) {
	idx, err := IndexModules(dir)
	if err != nil {
		return nil, nil, err
	}
	infos := map[string]Modinfo{}
	has := func(name string) bool { _, ok := idx[name]; return ok }
	deps := func(name string) ([]string, error) {
		mi, err := ReadModinfo(ctx, idx[name])
		if err != nil {
			return nil, err
		}
		infos[name] = mi
		return mi.Depends, nil
	}
	order, builtin, err := Order(wanted, has, deps)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range order {
		mods = append(mods, Module{Name: name, Path: idx[name], Depends: infos[name].Depends})
	}
	return mods, builtin, nil
}
