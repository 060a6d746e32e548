package kernel

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultMirror is used when the machine's apt sources name no Debian
// archive.
const DefaultMirror = "http://deb.debian.org/debian"

// DefaultKeyring is the keyring that signs Debian's archive.
const DefaultKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// Source is one apt source line: a URI and one suite.
type Source struct {
	URI      string
	Suite    string
	SignedBy string
}

// Line renders s as a one-line sources.list entry for the main component.
func (s Source) Line() string {
	opt := ""
	if s.SignedBy != "" {
		opt = "[signed-by=" + s.SignedBy + "] "
	}
	return "deb " + opt + s.URI + " " + s.Suite + " main"
}

// ParseDeb822 parses a deb822 .sources file into sources (Types: deb only).
// Suites with several values become several sources.
func ParseDeb822(text string) []Source {
	var out []Source
	for _, stanza := range splitStanzas(text) {
		if !contains(strings.Fields(stanza["types"]), "deb") {
			continue
		}
		if e := strings.ToLower(stanza["enabled"]); e == "no" || e == "false" {
			continue
		}
		signed := stanza["signed-by"]
		if strings.Contains(signed, "\n") || strings.Contains(signed, "BEGIN PGP") {
			signed = "" // inline key: leave it to apt's trusted keys
		}
		for _, uri := range strings.Fields(stanza["uris"]) {
			for _, suite := range strings.Fields(stanza["suites"]) {
				if !contains(strings.Fields(stanza["components"]), "main") {
					continue
				}
				out = append(out, Source{URI: uri, Suite: suite, SignedBy: strings.TrimSpace(signed)})
			}
		}
	}
	return out
}

func splitStanzas(text string) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	last := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = map[string]string{}
		last = ""
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				cur[last] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = strings.ToLower(strings.TrimSpace(k))
			cur[last] = strings.TrimSpace(v)
		}
	}
	flush()
	return out
}

// ParseOneLine parses the classic one-line sources.list format.
func ParseOneLine(text string) []Source {
	var out []Source
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		signed := ""
		if strings.HasPrefix(f[0], "[") {
			var opts []string
			for len(f) > 0 {
				o := f[0]
				f = f[1:]
				opts = append(opts, strings.Trim(o, "[]"))
				if strings.HasSuffix(o, "]") {
					break
				}
			}
			for _, o := range opts {
				if v, ok := strings.CutPrefix(o, "signed-by="); ok {
					signed = v
				}
			}
		}
		if len(f) < 3 || !contains(f[2:], "main") {
			continue
		}
		out = append(out, Source{URI: f[0], Suite: f[1], SignedBy: signed})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// HostSources reads the machine's apt sources below etcApt (normally
// /etc/apt).
func HostSources(etcApt string) []Source {
	var out []Source
	if b, err := os.ReadFile(filepath.Join(etcApt, "sources.list")); err == nil {
		out = append(out, ParseOneLine(string(b))...)
	}
	files, _ := filepath.Glob(filepath.Join(etcApt, "sources.list.d", "*"))
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(f, ".sources"):
			out = append(out, ParseDeb822(string(b))...)
		case strings.HasSuffix(f, ".list"):
			out = append(out, ParseOneLine(string(b))...)
		}
	}
	return out
}

// HostCodename returns VERSION_CODENAME from an os-release file.
func HostCodename(osRelease string) string {
	b, err := os.ReadFile(osRelease)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VERSION_CODENAME="); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// SourcesFor rewrites the host's sources for another release: each suite
// named after the host's codename (bookworm, bookworm-updates,
// bookworm-security) becomes the same suite of release. Other suites are
// dropped. With no usable host source it falls back to DefaultMirror.
func SourcesFor(host []Source, hostCodename, release string) []Source {
	var out []Source
	seen := map[Source]bool{}
	for _, s := range host {
		suite := ""
		switch {
		case hostCodename == "":
		case s.Suite == hostCodename:
			suite = release
		case strings.HasPrefix(s.Suite, hostCodename+"-"):
			rest := strings.TrimPrefix(s.Suite, hostCodename+"-")
			if rest == "backports" || rest == "proposed-updates" || rest == "backports-sloppy" {
				continue
			}
			suite = release + "-" + rest
		}
		if suite == "" {
			continue
		}
		n := Source{URI: s.URI, Suite: suite, SignedBy: s.SignedBy}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	hasMain := false
	for _, s := range out {
		if s.Suite == release {
			hasMain = true
		}
	}
	if !hasMain {
		signed := ""
		if _, err := os.Stat(DefaultKeyring); err == nil {
			signed = DefaultKeyring
		}
		out = append([]Source{{URI: DefaultMirror, Suite: release, SignedBy: signed}}, out...)
	}
	return out
}

// SourcesList renders sources as a sources.list file.
func SourcesList(srcs []Source) string {
	var b strings.Builder
	for _, s := range srcs {
		fmt.Fprintln(&b, s.Line())
	}
	return b.String()
}
