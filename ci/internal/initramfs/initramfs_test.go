package initramfs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/ci/internal/guestconf"
)

// The newc trailer's name and the st_mode type bits, stated here rather
// than taken from the writer's library so that the reader stays
// independent of it.
const (
	trailer  = "TRAILER!!!"
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeChr  = 0o020000
	modeLink = 0o120000
)

type entry struct {
	name         string
	mode         uint32
	major, minor uint32
	data         []byte
}

// readNewc is an independent newc reader used to check the writer.
func readNewc(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	off := 0
	for {
		if off+110 > len(b) {
			t.Fatalf("short archive at %d", off)
		}
		h := string(b[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("bad magic %q at %d", h[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("bad field %d: %v", i, err)
			}
			return uint32(v)
		}
		mode, size, rmaj, rmin, nsize := field(1), field(6), field(9), field(10), field(11)
		if field(2) != 0 || field(3) != 0 {
			t.Fatalf("entry not owned by root")
		}
		off += 110
		name := string(b[off : off+int(nsize)-1])
		if b[off+int(nsize)-1] != 0 {
			t.Fatalf("name %q not NUL-terminated", name)
		}
		off += int(nsize)
		off += (4 - off%4) % 4
		data := b[off : off+int(size)]
		off += int(size)
		off += (4 - off%4) % 4
		if name == trailer {
			if off != len(b) {
				t.Fatalf("%d bytes after trailer", len(b)-off)
			}
			return out
		}
		out = append(out, entry{name: name, mode: mode, major: rmaj, minor: rmin, data: data})
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Bytes("a/b/c.txt", 0o640, []byte("hello")))
	must(w.CharDev("/dev/kvm", 0o666, 10, 232))
	must(w.Symlink("bin/sh", "/init"))
	must(w.Bytes("x", 0o755, nil))
	must(w.Reader("r", 0o600, strings.NewReader("abcdef"), 3)) // exactly size bytes
	must(w.Dir("tmp", 0o1777))                                 // the octal sticky bit
	must(w.Dir("t2", 0o777|os.ModeSticky))                     // os.FileMode's
	if err := w.Bytes("a/b/c.txt", 0o644, nil); err == nil {
		t.Fatal("duplicate accepted")
	}
	must(w.Close())
	es := readNewc(t, buf.Bytes())
	var names []string
	for _, e := range es {
		names = append(names, e.name)
	}
	if got, want := strings.Join(names, " "), "a a/b a/b/c.txt dev dev/kvm bin bin/sh x r tmp t2"; got != want {
		t.Fatalf("names = %q, want %q", got, want)
	}
	byName := map[string]entry{}
	for _, e := range es {
		byName[e.name] = e
	}
	if e := byName["a/b/c.txt"]; string(e.data) != "hello" || e.mode != modeReg|0o640 {
		t.Fatalf("file entry %+v", e)
	}
	if e := byName["dev/kvm"]; e.mode != modeChr|0o666 || e.major != 10 || e.minor != 232 {
		t.Fatalf("kvm entry %+v", e)
	}
	if e := byName["bin/sh"]; e.mode != modeLink|0o777 || string(e.data) != "/init" {
		t.Fatalf("symlink entry %+v", e)
	}
	if e := byName["r"]; string(e.data) != "abc" || e.mode != modeReg|0o600 {
		t.Fatalf("bounded reader entry %+v", e)
	}
	if e := byName["a"]; e.mode != modeDir|0o755 {
		t.Fatalf("dir entry %+v", e)
	}
	for _, n := range []string{"tmp", "t2"} {
		if e := byName[n]; e.mode != modeDir|0o1777 {
			t.Errorf("%s: mode %#o, want %#o (sticky)", n, e.mode, modeDir|0o1777)
		}
	}
}

func TestWriteSpec(t *testing.T) {
	dir := t.TempDir()
	mk := func(name, content string, perm os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
		return p
	}
	spec := Spec{
		Init:    mk("init", "INIT", 0o755),
		Conform: mk("kvmconform", "KVMCONFORM", 0o755),
		Modules: []Module{
			{Name: "irqbypass", Path: mk("irqbypass.ko", "M1", 0o644)},
			{Name: "kvm", Path: mk("kvm.ko.xz", "M2", 0o644)},
		},
		Config: guestconf.Config{Suites: []string{"kicks", "abi"}, RunArgs: []string{"--label-filter=smoke"}, RequireKVM: true},
	}
	out := filepath.Join(dir, "out.cpio")
	if err := Write(out, spec); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]entry{}
	for _, e := range readNewc(t, b) {
		got[e.name] = e
	}
	for name, want := range map[string]string{
		"init":                    "INIT",
		"suites/kvmconform":       "KVMCONFORM",
		"modules/01-irqbypass.ko": "M1",
		"modules/02-kvm.ko.xz":    "M2",
	} {
		e, ok := got[name]
		if !ok || string(e.data) != want {
			t.Errorf("%s: %+v (present %v)", name, e, ok)
		}
	}
	if e := got["init"]; e.mode != modeReg|0o755 {
		t.Errorf("init mode %o", e.mode)
	}
	if e := got["dev/console"]; e.mode&0o170000 != modeChr || e.major != 5 || e.minor != 1 {
		t.Errorf("console %+v", e)
	}
	if e := got["dev/kvm"]; e.mode&0o170000 != modeChr || e.major != 10 || e.minor != 232 {
		t.Errorf("kvm %+v", e)
	}
	var cfg guestconf.Config
	if err := json.Unmarshal(got["kvmconform/config.json"].data, &cfg); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cfg.Suites) != "[kicks abi]" || !cfg.RequireKVM || len(cfg.RunArgs) != 1 {
		t.Errorf("config %+v", cfg)
	}

	// Cross-check with GNU cpio when it is installed.
	if cpio, err := exec.LookPath("cpio"); err == nil {
		cmd := exec.Command(cpio, "-itv", "--quiet")
		cmd.Stdin = bytes.NewReader(b)
		listing, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("cpio -it: %v\n%s", err, listing)
		}
		if !strings.Contains(string(listing), "dev/kvm") || !strings.Contains(string(listing), "10,") {
			t.Errorf("cpio listing lacks dev/kvm:\n%s", listing)
		}
	}
}
