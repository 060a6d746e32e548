// Package initramfs writes the guest's initramfs: an uncompressed cpio
// archive in the "newc" format (magic 070701) that the Linux kernel unpacks
// into its root file system (init/initramfs.c). The records are encoded by
// github.com/u-root/mkuimage/cpio (cpio.Newc); this package decides what
// goes in: the entries, their modes and device numbers, the parent
// directories and the order.
package initramfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/u-root/mkuimage/cpio"
)

// Writer writes a newc archive. Every entry is owned by root, has mtime 0
// and an inode number of its own, so the archive is reproducible. Parent
// directories are created implicitly (mode 0755) the first time a path
// below them is added: the kernel creates none itself.
type Writer struct {
	rw     cpio.RecordWriter
	ino    uint64
	seen   map[string]bool
	closed bool
	err    error
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{rw: cpio.Newc.Writer(w), ino: 1, seen: map[string]bool{}}
}

func clean(name string) (string, error) {
	n := strings.TrimPrefix(path.Clean("/"+name), "/")
	if n == "" || n == "." {
		return "", fmt.Errorf("initramfs: invalid path %q", name)
	}
	return n, nil
}

// write writes one record; content is nil for an entry without data.
func (w *Writer) write(info cpio.Info, content io.ReaderAt, size int64) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("initramfs: write after Close")
	}
	if size > 0xffffffff {
		return fmt.Errorf("initramfs: %s: file too large for newc (%d bytes)", info.Name, size)
	}
	info.Ino = w.ino
	info.FileSize = uint64(size)
	w.ino++
	rec := cpio.Record{Info: info}
	if content != nil {
		// The record writer copies its ReaderAt to the end: bound it.
		rec.ReaderAt = io.NewSectionReader(content, 0, size)
	}
	if err := w.rw.WriteRecord(rec); err != nil {
		w.err = fmt.Errorf("initramfs: writing %s: %w", info.Name, err)
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
	return w.write(cpio.Info{Name: dir, Mode: cpio.S_IFDIR | 0o755, NLink: 2}, nil, 0)
}

// begin checks and records a new entry's name and adds its parents. The
// record writer would drop a duplicate silently; here it is an error.
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
	return w.write(cpio.Info{Name: n, Mode: cpio.S_IFDIR | mode(perm), NLink: 2}, nil, 0)
}

// CharDev adds a character device node.
func (w *Writer) CharDev(name string, perm os.FileMode, major, minor uint32) error {
	n, err := w.begin(name)
	if err != nil {
		return err
	}
	return w.write(cpio.Info{Name: n, Mode: cpio.S_IFCHR | mode(perm), NLink: 1, Rmajor: uint64(major), Rminor: uint64(minor)}, nil, 0)
}

// Symlink adds a symbolic link name -> target.
func (w *Writer) Symlink(name, target string) error {
	n, err := w.begin(name)
	if err != nil {
		return err
	}
	return w.write(cpio.Info{Name: n, Mode: cpio.S_IFLNK | 0o777, NLink: 1}, strings.NewReader(target), int64(len(target)))
}

// Bytes adds a regular file with the given content.
func (w *Writer) Bytes(name string, perm os.FileMode, content []byte) error {
	return w.Reader(name, perm, bytes.NewReader(content), int64(len(content)))
}

// Reader adds a regular file of exactly size bytes read from r.
func (w *Writer) Reader(name string, perm os.FileMode, r io.ReaderAt, size int64) error {
	n, err := w.begin(name)
	if err != nil {
		return err
	}
	return w.write(cpio.Info{Name: n, Mode: cpio.S_IFREG | mode(perm), NLink: 1}, r, size)
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

// Close writes the trailer. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if err := w.write(cpio.Info{Name: cpio.Trailer, NLink: 1}, nil, 0); err != nil {
		return err
	}
	w.closed = true
	return nil
}

// mode is the permission bits of perm as a cpio mode (no type bits).
// mode is the cpio mode bits of perm: the permission bits and the setuid,
// setgid and sticky bits, which os.FileMode keeps apart from Perm (as
// ModeSetuid, ModeSetgid, ModeSticky) and which a caller may also give as
// the octal 0o4000, 0o2000 and 0o1000.
func mode(perm os.FileMode) uint64 {
	m := uint64(perm & 0o7777)
	if perm&os.ModeSetuid != 0 {
		m |= 0o4000
	}
	if perm&os.ModeSetgid != 0 {
		m |= 0o2000
	}
	if perm&os.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}
