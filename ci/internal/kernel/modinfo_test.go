package kernel

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// elfWithModinfo builds a minimal little-endian ELF64 relocatable file with
// a .modinfo section holding the given NUL-separated strings, like a .ko.
func elfWithModinfo(fields ...string) []byte {
	modinfo := []byte(strings.Join(fields, "\x00") + "\x00")
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	modOff := ehsize
	shstrOff := modOff + len(modinfo)
	shOff := (shstrOff + len(shstr) + 7) &^ 7
	buf := make([]byte, shOff+3*shentsize)
	copy(buf, "\x7fELF")
	buf[4], buf[5], buf[6] = 2, 1, 1 // ELFCLASS64, little endian, version
	le := binary.LittleEndian
	le.PutUint16(buf[16:], 1)  // ET_REL
	le.PutUint16(buf[18:], 62) // EM_X86_64
	le.PutUint32(buf[20:], 1)  // EV_CURRENT
	le.PutUint64(buf[40:], uint64(shOff))
	le.PutUint16(buf[52:], ehsize)
	le.PutUint16(buf[58:], shentsize)
	le.PutUint16(buf[60:], 3) // shnum
	le.PutUint16(buf[62:], 2) // shstrndx
	copy(buf[modOff:], modinfo)
	copy(buf[shstrOff:], shstr)
	sh := func(i int, name, typ uint32, off, size int) {
		b := buf[shOff+i*shentsize:]
		le.PutUint32(b[0:], name)
		le.PutUint32(b[4:], typ)
		le.PutUint64(b[24:], uint64(off))
		le.PutUint64(b[32:], uint64(size))
		le.PutUint64(b[48:], 1)
	}
	sh(1, 1, 1, modOff, len(modinfo))  // .modinfo, SHT_PROGBITS
	sh(2, 10, 3, shstrOff, len(shstr)) // .shstrtab, SHT_STRTAB
	return buf
}

func TestParseModinfo(t *testing.T) {
	mi := ParseModinfo([]byte("license=GPL\x00depends=kvm,irqbypass\x00retpoline=Y\x00intree=Y\x00name=kvm_amd\x00vermagic=6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions \x00alias=x86cpu:v*f*m*\x00alias=foo\x00"))
	if mi.Name != "kvm_amd" || !reflect.DeepEqual(mi.Depends, []string{"kvm", "irqbypass"}) {
		t.Fatalf("got %+v", mi)
	}
	if !strings.HasPrefix(mi.Vermagic, "6.1.0-56") || len(mi.Fields["alias"]) != 2 {
		t.Fatalf("got %+v", mi)
	}
	if mi := ParseModinfo([]byte("depends=\x00name=irqbypass\x00")); len(mi.Depends) != 0 {
		t.Fatalf("empty depends parsed as %q", mi.Depends)
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"arch/x86/kvm/kvm-amd.ko":  "kvm_amd",
		"kvm.ko.xz":                "kvm",
		"/x/kvm-hv.ko.zst":         "kvm_hv",
		"virt/lib/irqbypass.ko.gz": "irqbypass",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOrder(t *testing.T) {
	graph := map[string][]string{
		"kvm_amd":   {"kvm", "ccp"},
		"kvm":       {"irqbypass"},
		"irqbypass": nil,
		"ccp":       {"irqbypass"},
		"kvm_hv":    {"kvm"},
	}
	has := func(n string) bool { _, ok := graph[n]; return ok }
	deps := func(n string) ([]string, error) { return graph[n], nil }

	order, builtin, err := Order([]string{"kvm-amd", "kvm_hv", "kvm_intel"}, has, deps)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "irqbypass ccp kvm kvm_amd kvm_hv" {
		t.Fatalf("order = %s", got)
	}
	if !reflect.DeepEqual(builtin, []string{"kvm_intel"}) {
		t.Fatalf("builtin = %v", builtin)
	}

	// Every module comes after its dependencies.
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	for n := range pos {
		for _, d := range graph[n] {
			if pos[d] > pos[n] {
				t.Errorf("%s loaded before its dependency %s", n, d)
			}
		}
	}

	graph["irqbypass"] = []string{"kvm_amd"}
	if _, _, err := Order([]string{"kvm_amd"}, has, deps); !errors.Is(err, ErrCycle) {
		t.Fatalf("cycle: err = %v", err)
	}
	graph["irqbypass"] = []string{"missing"}
	if _, _, err := Order([]string{"kvm_amd"}, has, deps); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing dependency: err = %v", err)
	}
}

func TestResolveFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("kernel/virt/lib/irqbypass.ko", elfWithModinfo("license=GPL", "depends=", "name=irqbypass"))
	write("kernel/arch/x86/kvm/kvm.ko", elfWithModinfo("depends=irqbypass", "name=kvm"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(elfWithModinfo("depends=kvm", "name=kvm_amd"))
	zw.Close()
	write("kernel/arch/x86/kvm/kvm-amd.ko.gz", gz.Bytes())
	write("kernel/arch/x86/kvm/kvm-intel.ko", elfWithModinfo("depends=kvm", "name=kvm_intel"))
	write("kernel/drivers/other.ko", []byte("not an ELF"))

	mods, builtin, err := Resolve(context.Background(), dir, []string{"kvm_amd"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range mods {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, " "); got != "irqbypass kvm kvm_amd" || len(builtin) != 0 {
		t.Fatalf("order = %s, builtin = %v", got, builtin)
	}
	if filepath.Base(mods[2].Path) != "kvm-amd.ko.gz" || !reflect.DeepEqual(mods[1].Depends, []string{"irqbypass"}) {
		t.Fatalf("mods = %+v", mods)
	}

	if _, err := ReadModinfo(context.Background(), filepath.Join(dir, "kernel/drivers/other.ko")); err == nil {
		t.Fatal("non-ELF module accepted")
	}
}

// TestCachedDebianModules checks modinfo parsing on real Debian modules when
// the kernel cache has them (it is filled by `go run ./ci run`).
func TestCachedDebianModules(t *testing.T) {
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip("no cache dir")
	}
	mods, _ := filepath.Glob(filepath.Join(cache, "kvmconform", "kernels", "*", "*", "modules", "kvm*.ko*"))
	if len(mods) == 0 {
		t.Skip("no cached Debian kernel modules (run go run ./ci run first)")
	}
	for _, m := range mods {
		if strings.HasSuffix(m, ".xz") {
			if _, err := os.Stat("/usr/bin/xz"); err != nil {
				continue
			}
		}
		mi, err := ReadModinfo(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		if mi.Name != ModuleName(m) || mi.Vermagic == "" {
			t.Errorf("%s: %+v", m, mi)
		}
		if mi.Name == "kvm_amd" || mi.Name == "kvm_hv" {
			if !reflect.DeepEqual(mi.Depends, []string{"kvm"}) {
				t.Errorf("%s depends %v, want [kvm]", m, mi.Depends)
			}
		}
	}
}
