package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeELF is the smallest ELF executable debug/elf reads: a 64-bit header
// for goarch and one program header (PT_INTERP when dynamic, else
// PT_LOAD).
func fakeELF(t *testing.T, goarch string, dynamic bool) []byte {
	t.Helper()
	m, ok := machines[goarch]
	if !ok {
		t.Fatalf("no machine for %s", goarch)
	}
	var order binary.ByteOrder = binary.LittleEndian
	data := byte(elf.ELFDATA2LSB)
	if m.big {
		order, data = binary.BigEndian, byte(elf.ELFDATA2MSB)
	}
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), data, 1, 0})
	b.Write(make([]byte, 8))
	w := func(v any) { binary.Write(&b, order, v) }
	w(uint16(elf.ET_EXEC))
	w(uint16(m.machine))
	w(uint32(1))       // version
	w(uint64(0x10000)) // entry
	w(uint64(64))      // phoff
	w(uint64(0))       // shoff
	w(uint32(0))       // flags
	w(uint16(64))      // ehsize
	w(uint16(56))      // phentsize
	w(uint16(1))       // phnum
	w(uint16(64))      // shentsize
	w(uint16(0))       // shnum
	w(uint16(0))       // shstrndx
	typ := elf.PT_LOAD
	if dynamic {
		typ = elf.PT_INTERP
	}
	w(uint32(typ))
	w(uint32(elf.PF_R | elf.PF_X))
	for range 6 { // offset, vaddr, paddr, filesz, memsz, align
		w(uint64(0))
	}
	return b.Bytes()
}

func selfBinary(t *testing.T) []byte { return fakeELF(t, runtime.GOARCH, false) }

func TestCheckBinary(t *testing.T) {
	for _, goarch := range Supported() {
		if err := CheckBinary(fakeELF(t, goarch, false), goarch); err != nil {
			t.Errorf("%s: %v", goarch, err)
		}
	}
	if err := CheckBinary(fakeELF(t, "ppc64", false), "ppc64le"); err == nil || !strings.Contains(err.Error(), "BigEndian, not ppc64le") {
		t.Errorf("ppc64 as ppc64le: %v", err)
	}
	if err := CheckBinary(fakeELF(t, "amd64", true), "amd64"); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("dynamic: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	bin := selfBinary(t)
	m := Manifest{GOARCH: runtime.GOARCH, Version: "v1 abc", GoVersion: "go1.26", Built: time.Unix(1700000000, 0).UTC(), Areas: []string{"abi", "kick"}}
	file := filepath.Join(t.TempDir(), FileName(runtime.GOARCH))
	var buf bytes.Buffer
	if err := Write(&buf, m, bin, []byte("- id: X\n"), []byte("read me\n")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, buf.Bytes(), 0o644)
	b, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if b.Manifest.GOARCH != m.GOARCH || b.Manifest.Version != m.Version || strings.Join(b.Manifest.Areas, ",") != "abi,kick" || !b.Manifest.Built.Equal(m.Built) {
		t.Errorf("manifest %+v", b.Manifest)
	}
	if !bytes.Equal(b.Members[Binary], bin) || string(b.Members[Expectations]) != "- id: X\n" || string(b.Members[Readme]) != "read me\n" {
		t.Errorf("members differ")
	}
	// The tar lists the directory, then its files, the binary executable.
	tr := tar.NewReader(mustGunzip(t, buf.Bytes()))
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		if h.Name == Dir(runtime.GOARCH)+"/"+Binary && h.Mode != 0o755 {
			t.Errorf("binary mode %o", h.Mode)
		}
	}
	want := Dir(runtime.GOARCH) + "/ " + Dir(runtime.GOARCH) + "/kvmconform " + Dir(runtime.GOARCH) + "/expectations.yaml " + Dir(runtime.GOARCH) + "/README " + Dir(runtime.GOARCH) + "/bundle.json"
	if strings.Join(names, " ") != want {
		t.Errorf("members %q", names)
	}
}

func mustGunzip(t *testing.T, data []byte) *bytes.Reader {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.ReadFrom(gz)
	return bytes.NewReader(out.Bytes())
}

func TestReadRejects(t *testing.T) {
	bin := selfBinary(t)
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	dir := t.TempDir()
	write := func(name string, m Manifest, binary []byte) string {
		var buf bytes.Buffer
		if err := Write(&buf, m, binary, nil, nil); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p
	}
	os.WriteFile(filepath.Join(dir, "plain.tar.gz"), []byte("not gzip"), 0o644)
	for _, tc := range []struct{ file, want string }{
		{write("wrongarch.tar.gz", Manifest{GOARCH: other}, bin), "the binary is for"},
		{write("script.tar.gz", Manifest{GOARCH: runtime.GOARCH}, []byte("#!/bin/sh\n")), "not an ELF file"},
		{write("unknown.tar.gz", Manifest{GOARCH: "vax"}, bin), `GOARCH "vax" is not one kvmconform supports`},
		{filepath.Join(dir, "plain.tar.gz"), "plain.tar.gz: unexpected EOF"},
		{filepath.Join(dir, "missing.tar.gz"), "no such file"},
	} {
		if _, err := Read(tc.file); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", filepath.Base(tc.file), err, tc.want)
		}
	}
}
