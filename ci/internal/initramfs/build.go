package initramfs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kvmconform/kvmconform/ci/internal/guestconf"
)

// Device numbers of the nodes the guest needs before devtmpfs is mounted.
const (
	ConsoleMajor, ConsoleMinor = 5, 1
	// KVMMajor and KVMMinor are MISC_MAJOR and KVM_MINOR
	// (include/linux/miscdevice.h).
	KVMMajor, KVMMinor = 10, 232
)

// Module is a kernel module to put into /modules.
type Module struct {
	// Name is the module name (e.g. "kvm_amd").
	Name string
	// Path is the host file (.ko, .ko.xz, ...).
	Path string
}

// Spec describes the guest's initramfs.
type Spec struct {
	// Init is the host path of the guest init binary (becomes /init).
	Init string
	// Conform is the host path of the conformance binary (becomes
	// /suites/kvmconform); it runs the suites of Config.Suites, so it is
	// required when there are any.
	Conform string
	// Programs maps a name to the host path of a binary that becomes
	// /suites/<name> (Config.Program runs one of them).
	Programs map[string]string
	// Modules are loaded in this order; they become /modules/NN-<file>.
	Modules []Module
	// Config is written to guestconf.ConfigPath.
	Config guestconf.Config
}

// ModuleFile returns the initramfs name of the i-th module (0-based):
// /modules/01-kvm.ko for i=0 and "kvm.ko".
func ModuleFile(i int, base string) string {
	return path.Join(guestconf.ModulesDir, fmt.Sprintf("%02d-%s", i+1, base))
}

// Write writes the initramfs described by s to the file dst.
func Write(dst string, s Spec) (err error) {
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("initramfs: %w", cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := NewWriter(bw)

	for _, d := range []string{"dev", "proc", "sys", "tmp", "kvmconform", "suites", "modules"} {
		perm := os.FileMode(0o755)
		if d == "tmp" {
			perm = 0o1777
		}
		if err := w.Dir(d, perm); err != nil {
			return err
		}
	}
	if err := w.CharDev("dev/console", 0o600, ConsoleMajor, ConsoleMinor); err != nil {
		return err
	}
	if err := w.CharDev("dev/kvm", 0o666, KVMMajor, KVMMinor); err != nil {
		return err
	}
	if err := w.File("init", s.Init); err != nil {
		return err
	}
	if len(s.Config.Suites) > 0 && s.Conform == "" {
		return fmt.Errorf("initramfs: suites %v but no conformance binary", s.Config.Suites)
	}
	if s.Conform != "" {
		if err := w.File(path.Join(guestconf.SuitesDir, guestconf.ConformBinary), s.Conform); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(s.Programs))
	for name := range s.Programs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := w.File(path.Join(guestconf.SuitesDir, name), s.Programs[name]); err != nil {
			return err
		}
	}
	for i, m := range s.Modules {
		if err := w.File(ModuleFile(i, filepath.Base(m.Path)), m.Path); err != nil {
			return err
		}
	}
	cfg, err := json.MarshalIndent(s.Config, "", "  ")
	if err != nil {
		return fmt.Errorf("initramfs: encoding config: %w", err)
	}
	if err := w.Bytes(strings.TrimPrefix(guestconf.ConfigPath, "/"), 0o644, cfg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	return nil
}
