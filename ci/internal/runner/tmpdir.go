package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
)

// A runner's temporary directory is <TMPDIR>/kvmconform-ci-<pid>-<random>,
// and the runner holds an exclusive flock on it for as long as it runs.
// The kernel drops the lock when the process dies, however it dies, so a
// directory whose lock can be taken belongs to a runner that is gone (a
// pid could be reused, or be another PID namespace's). Directories of the
// older form kvmconform-ci-<random>, which had no lock, are left alone:
// nothing tells whether their runner still runs.
const tempPrefix = "kvmconform-ci-"

var lockedTemp = regexp.MustCompile(`^kvmconform-ci-[0-9]+-[0-9]+$`)

// makeTempDir creates and locks a runner's temporary directory in parent.
// A sweeper (sweepTempDirs of another runner) may take a new directory's
// lock before its creator does and remove it: then it tries again.
func makeTempDir(parent string) (dir string, lock *os.File, err error) {
	for range 10 {
		dir, err = os.MkdirTemp(parent, fmt.Sprintf("%s%d-*", tempPrefix, os.Getpid()))
		if err != nil {
			return "", nil, fmt.Errorf("temporary directory: %w", err)
		}
		lock, err = lockDir(dir)
		if err == nil {
			return dir, lock, nil
		}
	}
	return "", nil, fmt.Errorf("temporary directory: %w", err)
}

// lockDir takes dir's flock without waiting and checks that dir is still
// the directory locked (not removed, or replaced, in between).
func lockDir(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	fst, ferr := f.Stat()
	pst, perr := os.Stat(dir)
	if err := errors.Join(ferr, perr); err != nil || !os.SameFile(fst, pst) {
		f.Close()
		return nil, fmt.Errorf("%s: removed while it was locked (%v)", dir, err)
	}
	return f, nil
}

// sweepTempDirs removes the temporary directories in parent that were left
// by runners that died (SIGKILL, a crash) and returns them. Errors are not
// fatal: a directory that cannot be removed stays.
func sweepTempDirs(parent string) (removed []string, errs []error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, []error{err}
	}
	for _, e := range entries {
		if !e.IsDir() || !lockedTemp.MatchString(e.Name()) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		lock, err := lockDir(dir)
		if err != nil {
			continue // its runner runs, or it is gone already
		}
		err = os.RemoveAll(dir)
		lock.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, dir)
	}
	return removed, errs
}
