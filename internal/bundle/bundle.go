// Package bundle is the format of a kvmconform bundle: what `kvmconform
// bundle --arch A` writes and what the QEMU runner boots (go run ./ci run
// --bundle FILE).
//
// A bundle is a gzip-compressed tar file, kvmconform-<GOARCH>.tar.gz, whose
// members are in one directory, kvmconform-<GOARCH>/:
//
//	kvmconform         the static conformance binary for GOARCH (CGO_ENABLED=0)
//	expectations.yaml  the shipped expectations (also compiled into the binary)
//	README             how to run it, the exit statuses, the outputs
//	bundle.json        Manifest: GOARCH, version, Go version, areas, build time
package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"
)

// Member names inside the bundle's directory.
const (
	Binary       = "kvmconform"
	Expectations = "expectations.yaml"
	Readme       = "README"
	ManifestFile = "bundle.json"
)

// Manifest describes a bundle.
type Manifest struct {
	GOARCH string `json:"goarch"`
	// Version is the module version and VCS revision the binary was built
	// from.
	Version   string    `json:"version,omitempty"`
	GoVersion string    `json:"goVersion"`
	Built     time.Time `json:"built"`
	// Areas are the conformance areas the binary links, in the order it
	// runs them (kvmconform run --area takes each).
	Areas []string `json:"areas"`
}

// Dir is the directory a bundle's members are in.
func Dir(goarch string) string { return "kvmconform-" + goarch }

// FileName is a bundle's default file name.
func FileName(goarch string) string { return Dir(goarch) + ".tar.gz" }

// Write writes a bundle to w: the binary (its contents), the expectations,
// the README and the manifest.
func Write(w io.Writer, m Manifest, binary, expectations, readme []byte) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	dir := Dir(m.GOARCH)
	mtime := m.Built
	if mtime.IsZero() {
		mtime = time.Now()
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: mtime}); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{Binary, 0o755, binary},
		{Expectations, 0o644, expectations},
		{Readme, 0o644, readme},
		{ManifestFile, 0o644, append(manifest, '\n')},
	} {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: path.Join(dir, f.name), Mode: f.mode, Size: int64(len(f.data)), ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// A Bundle is a bundle read back.
type Bundle struct {
	Manifest Manifest
	// Members are the files by name (without the directory).
	Members map[string][]byte
}

// Read reads the bundle file at file and checks it: the members are where
// they belong, the manifest names a GOARCH, and the binary is a static
// Linux ELF executable for it.
func Read(file string) (*Bundle, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", file, err)
	}
	tr := tar.NewReader(gz)
	b := &Bundle{Members: map[string][]byte{}}
	dir := ""
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", file, err)
		}
		if hdr.Typeflag == tar.TypeDir {
			continue
		}
		d, name := path.Split(path.Clean(hdr.Name))
		d = path.Clean(d)
		if dir == "" {
			dir = d
		}
		if d != dir || hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("bundle %s: unexpected member %s (want every file in one directory)", file, hdr.Name)
		}
		data, err := io.ReadAll(io.LimitReader(tr, 1<<30))
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %s: %w", file, hdr.Name, err)
		}
		b.Members[name] = data
	}
	for _, want := range []string{Binary, ManifestFile} {
		if _, ok := b.Members[want]; !ok {
			return nil, fmt.Errorf("bundle %s: no %s in it", file, want)
		}
	}
	if err := json.Unmarshal(b.Members[ManifestFile], &b.Manifest); err != nil {
		return nil, fmt.Errorf("bundle %s: %s: %w", file, ManifestFile, err)
	}
	if b.Manifest.GOARCH == "" {
		return nil, fmt.Errorf("bundle %s: %s names no GOARCH", file, ManifestFile)
	}
	if dir != Dir(b.Manifest.GOARCH) {
		return nil, fmt.Errorf("bundle %s: its directory is %s, want %s", file, dir, Dir(b.Manifest.GOARCH))
	}
	if err := CheckBinary(b.Members[Binary], b.Manifest.GOARCH); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", file, err)
	}
	return b, nil
}

// machines maps a GOARCH to its ELF machine, class and byte order.
var machines = map[string]struct {
	machine elf.Machine
	class   elf.Class
	big     bool
}{
	"amd64":    {elf.EM_X86_64, elf.ELFCLASS64, false},
	"arm64":    {elf.EM_AARCH64, elf.ELFCLASS64, false},
	"ppc64":    {elf.EM_PPC64, elf.ELFCLASS64, true},
	"ppc64le":  {elf.EM_PPC64, elf.ELFCLASS64, false},
	"s390x":    {elf.EM_S390, elf.ELFCLASS64, true},
	"mips64":   {elf.EM_MIPS, elf.ELFCLASS64, true},
	"mips64le": {elf.EM_MIPS, elf.ELFCLASS64, false},
	"riscv64":  {elf.EM_RISCV, elf.ELFCLASS64, false},
	"loong64":  {elf.EM_LOONGARCH, elf.ELFCLASS64, false},
}

// CheckBinary checks that data is a static Linux executable for goarch.
func CheckBinary(data []byte, goarch string) error {
	want, ok := machines[goarch]
	if !ok {
		return fmt.Errorf("GOARCH %q is not one kvmconform supports", goarch)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the binary is not an ELF file: %w", err)
	}
	defer f.Close()
	big := f.ByteOrder.String() == "BigEndian"
	if f.Machine != want.machine || f.Class != want.class || big != want.big {
		return fmt.Errorf("the binary is for %s %s %s, not %s", f.Machine, f.Class, f.ByteOrder, goarch)
	}
	if f.Type != elf.ET_EXEC {
		return fmt.Errorf("the binary is %s, want a static executable (ET_EXEC)", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("the binary is dynamically linked (it has an interpreter); build it with CGO_ENABLED=0")
		}
	}
	return nil
}

// Supported are the GOARCHes a bundle can be made for, in order.
func Supported() []string {
	return []string{"amd64", "arm64", "ppc64", "ppc64le", "s390x", "mips64", "mips64le", "riscv64", "loong64"}
}
