package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The pinned uapi headers: Debian trixie's linux-libc-dev. It is
// Architecture: all and carries /usr/include/<triplet>/asm for every
// architecture, so one download serves every target.
const (
	HeaderPackage = "linux-libc-dev 6.12.107-1"
	headerName    = "linux-libc-dev"
	headerVersion = "6.12.107-1"
	headerSuite   = "trixie"
)

// FetchHeaders returns the include directory of the pinned headers,
// downloading and unpacking them into cache on first use.
func FetchHeaders(cache string) (string, error) {
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory: %w", err)
		}
		cache = filepath.Join(base, "kvmconform")
	}
	dir := filepath.Join(cache, "uapi", headerName+"_"+headerVersion)
	include := filepath.Join(dir, "usr", "include")
	if _, err := os.Stat(filepath.Join(include, "linux", "kvm.h")); err == nil {
		return include, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Errorf("headers %s not cached in %s and apt-get is not available to fetch them", HeaderPackage, dir)
	}
	state := filepath.Join(cache, "apt-"+headerSuite)
	for _, d := range []string{"lists/partial", "archives/partial", "parts"} {
		if err := os.MkdirAll(filepath.Join(state, d), 0o755); err != nil {
			return "", err
		}
	}
	uri, err := archiveURI()
	if err != nil {
		return "", err
	}
	sources := filepath.Join(state, "sources.list")
	line := fmt.Sprintf("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", uri, headerSuite)
	if err := os.WriteFile(sources, []byte(line), 0o644); err != nil {
		return "", err
	}
	opts := []string{
		"-oDir::Etc::sourcelist=" + sources,
		"-oDir::Etc::sourceparts=" + filepath.Join(state, "parts"),
		"-oDir::State::Lists=" + filepath.Join(state, "lists"),
		"-oDir::Cache=" + state,
		"-oDir::State::status=/dev/null",
		"-oAPT::Sandbox::User=root",
	}
	if err := run(state, "apt-get", append(opts, "-q", "update")...); err != nil {
		return "", fmt.Errorf("apt-get update for %s: %w", headerSuite, err)
	}
	if err := run(state, "apt-get", append(opts, "-q", "download", headerName+"="+headerVersion)...); err != nil {
		return "", fmt.Errorf("download %s (pinned; if the archive dropped this version, bump headerVersion in tools/genabi and regenerate): %w", HeaderPackage, err)
	}
	deb := filepath.Join(state, headerName+"_"+headerVersion+"_all.deb")
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		return "", err
	}
	if err := run(state, "dpkg-deb", "-x", deb, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("unpack %s: %w", deb, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return include, nil
}

// archiveURI returns the Debian archive the machine's own apt sources use.
func archiveURI() (string, error) {
	for _, f := range []string{"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			switch {
			case len(fields) >= 2 && fields[0] == "URIs:":
				if !strings.Contains(fields[1], "security") {
					return fields[1], nil
				}
			case len(fields) >= 3 && fields[0] == "deb":
				for _, f := range fields[1:] {
					if strings.HasPrefix(f, "http") && !strings.Contains(f, "security") {
						return f, nil
					}
				}
			}
		}
	}
	return "", fmt.Errorf("no Debian archive URI in the machine's apt sources")
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, lastLine(string(out)))
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
