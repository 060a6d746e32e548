package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// inputFile checks that path names a regular file this process can read
// and that is not empty: it opens it and reads a byte (os.Stat alone lets
// an unreadable file through, to fail in QEMU after the cross-builds).
func inputFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		// Not opened: a FIFO would block.
		return fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 1)); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s is empty", path)
		}
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// inputDir checks that path names a directory that can be listed.
func inputDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	if _, err := f.ReadDir(1); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("listing %s: %w", path, err)
	}
	return nil
}

// outputDir creates dir (and its parents) and a file in it, so that an
// output directory that cannot be written fails with the flags, not after
// the boot.
func outputDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".kvmconform-probe-*")
	if err != nil {
		return err
	}
	_, werr := f.Write([]byte("probe\n"))
	return errors.Join(werr, f.Close(), os.Remove(f.Name()))
}

// cacheDir checks that path, if it exists, is a directory (it is created
// when it does not).
func cacheDir(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	}
	return nil
}
