// Package initramfs writes the guest's initramfs: an uncompressed cpio
// archive in the "newc" format (magic 070701) that the Linux kernel unpacks
// into its root file system.
package initramfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// File mode type bits as used in cpio headers (same as Linux st_mode).
const (
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeChr  = 0o020000
	modeLink = 0o120000
)

const trailer = "TRAILER!!!"

// Writer writes a newc archive. Every entry is owned by root and has mtime
// 0, so the archive is reproducible. Parent directories are created
// implicitly (mode 0755) the first time a path below them is added.
type Writer struct {
	w      io.Writer
	ino    uint32
	seen   map[string]bool
	closed bool
	err    error
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, ino: 1, seen: map[string]bool{}}
}

type header struct {
	name  string
	mode  uint32
	nlink uint32
	size  int64
	rdev  [2]uint32 // major, minor
}

func clean(name string) (string, error) {
	n := strings.TrimPrefix(path.Clean("/"+name), "/")
	if n == "" || n == "." {
		return "", fmt.Errorf("initramfs: invalid path %q", name)
	}
	return n, nil
}

func pad4(n int64) int64 { return (4 - n%4) % 4 }

var zeros [4]byte

func (w *Writer) writeHeader(h header) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("initramfs: write after Close")
	}
	if h.size > 0xffffffff {
		return fmt.Errorf("initramfs: %s: file too large for newc (%d bytes)", h.name, h.size)
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		w.ino, h.mode, 0, 0, h.nlink, 0, uint32(h.size), 0, 0, h.rdev[0], h.rdev[1], len(h.name)+1, 0)
	w.ino++
	buf := make([]byte, 0, len(hdr)+len(h.name)+5)
	buf = append(buf, hdr...)
	buf = append(buf, h.name...)
	buf = append(buf, 0)
	buf = append(buf, zeros[:pad4(int64(len(buf)))]...)
	if _, err := w.w.Write(buf); err != nil {
		w.err = fmt.Errorf("initramfs: writing %s: %w", h.name, err)
		return w.err
	}
	return nil
}

// parents adds the missing parent directories of name.
func (w *Writer) parents(name string) error {
	dir := path.Dir(name)
	if dir == "." || w.seen[dir] {
		return nil
	}
	if err := w.parents(dir); err != nil {
		return err
	}
	w.seen[dir] = true
	return w.writeHeader(header{name: dir, mode: modeDir | 0o755, nlink: 2})
}

func (w *Writer) begin(name string) (string, error) {
	n, err := clean(name)
	if err != nil {
		return "", err
	}
	if w.seen[n] {
		return "", fmt.Errorf("initramfs: duplicate entry %s", n)
	}
	if err := w.parents(n); err != nil {
		return "", err
	}
	w.seen[n] = true
	return n, nil
}

// Dir adds a directory.
func (w *Writer) Dir(name string, perm os.FileMode) error {
	n, err := w.begin(name)
	if err != nil {
		return err
	}
	return w.writeHeader(header{name: n, mode: modeDir | uint32(perm.Perm()), nlink: 2})
}

// CharDev adds a character device node.
func (w *Writer) CharDev(name string, perm os.FileMode, major, minor uint32) error {
	n, err := w.begin(name)
	if err != nil {
		return err
	}
	return w.writeHeader(header{name: n, mode: modeChr | uint32(perm.Perm()), nlink: 1, rdev: [2]uint32{major, minor}})
}

// Symlink adds a symbolic link name -> target.
func (w *Writer) Symlink(name, target string) error {
	n, err := w.begin(name)
	if err != nil {
		return err
	}
	if err := w.writeHeader(header{name: n, mode: modeLink | 0o777, nlink: 1, size: int64(len(target))}); err != nil {
		return err
	}
	return w.data(n, strings.NewReader(target), int64(len(target)))
}

// Bytes adds a regular file with the given content.
func (w *Writer) Bytes(name string, perm os.FileMode, content []byte) error {
	return w.Reader(name, perm, strings.NewReader(string(content)), int64(len(content)))
}

// Reader adds a regular file of exactly size bytes read from r.
func (w *Writer) Reader(name string, perm os.FileMode, r io.Reader, size int64) error {
	n, err := w.begin(name)
	if err != nil {
		return err
	}
	if err := w.writeHeader(header{name: n, mode: modeReg | uint32(perm.Perm()), nlink: 1, size: size}); err != nil {
		return err
	}
	return w.data(n, r, size)
}

// File adds the host file src as name, keeping its permission bits.
func (w *Writer) File(name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("initramfs: %s is not a regular file", src)
	}
	return w.Reader(name, st.Mode().Perm(), f, st.Size())
}

func (w *Writer) data(name string, r io.Reader, size int64) error {
	n, err := io.CopyN(w.w, r, size)
	if err != nil {
		w.err = fmt.Errorf("initramfs: writing %s (%d of %d bytes): %w", name, n, size, err)
		return w.err
	}
	if _, err := w.w.Write(zeros[:pad4(size)]); err != nil {
		w.err = fmt.Errorf("initramfs: writing %s: %w", name, err)
		return w.err
	}
	return nil
}

// Close writes the trailer. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if err := w.writeHeader(header{name: trailer, nlink: 1}); err != nil {
		return err
	}
	w.closed = true
	return nil
}
