package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
)

// DocFile is the generated list, relative to the module.
const DocFile = "docs/specs.md"

// modulePath prefixes the file names of a -trimpath build.
const modulePath = "github.com/kvmconform/kvmconform/"

// A Build is one architecture family's binary: the GOARCH it is built for,
// the family's name as the specs and arch packages call it, and the
// qemu-user binary that runs it on another host.
type Build struct{ GOARCH, Family, QEMU string }

// Builds are the architecture families, one GOARCH each (ppc64 and ppc64le,
// mips64 and mips64le build the same specs).
var Builds = []Build{
	{"amd64", "x86", "qemu-x86_64-static"},
	{"arm64", "arm64", "qemu-aarch64-static"},
	{"ppc64le", "ppc64", "qemu-ppc64le-static"},
	{"s390x", "s390x", "qemu-s390x-static"},
	{"mips64le", "mips", "qemu-mips64el-static"},
	{"riscv64", "riscv64", "qemu-riscv64-static"},
	{"loong64", "loong64", "qemu-loongarch64-static"},
}

func families() []string {
	var f []string
	for _, b := range Builds {
		f = append(f, b.Family)
	}
	return f
}

// entry is one line of kvmconform specs (cmd/kvmconform SpecEntry).
type entry struct {
	GOARCH         string   `json:"goarch"`
	Area           string   `json:"area"`
	Text           string   `json:"text"`
	Leaf           string   `json:"leaf"`
	Containers     []string `json:"containers"`
	Labels         []string `json:"labels"`
	LeafFile       string   `json:"leafFile"`
	LeafLine       int      `json:"leafLine"`
	ContainerFiles []string `json:"containerFiles"`
	ContainerLines []int    `json:"containerLines"`
}

// Generator makes docs/specs.md.
type Generator struct {
	// Root is the module directory.
	Root string
	// Logf reports progress (may be nil).
	Logf func(format string, args ...any)
	// Missing reports the qemu-user binaries that are not installed
	// (after Generate fails for want of one).
	Missing []string
	sources map[string][]string
}

func (g *Generator) logf(format string, args ...any) {
	if g.Logf != nil {
		g.Logf(format, args...)
	}
}

// Generate builds every family's binary, lists its specs and renders the
// document.
func (g *Generator) Generate() ([]byte, error) {
	tmp, err := os.MkdirTemp("", "genspecs-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	g.Missing = nil
	for _, b := range Builds {
		if b.GOARCH != runtime.GOARCH {
			if _, err := exec.LookPath(b.QEMU); err != nil {
				g.Missing = append(g.Missing, b.QEMU)
			}
		}
	}
	if len(g.Missing) > 0 {
		return nil, fmt.Errorf("%s not installed (apt-get install qemu-user-static; scripts/deps does): the other architectures' spec trees run under it", strings.Join(g.Missing, ", "))
	}
	var all []entry
	for _, b := range Builds {
		bin := filepath.Join(tmp, "kvmconform-"+b.GOARCH)
		build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/kvmconform")
		build.Dir = g.Root
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+b.GOARCH)
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("GOARCH=%s go build ./cmd/kvmconform: %v: %s", b.GOARCH, err, strings.TrimSpace(string(out)))
		}
		argv := []string{bin, "specs"}
		if b.GOARCH != runtime.GOARCH {
			argv = append([]string{b.QEMU}, argv...)
		}
		run := exec.Command(argv[0], argv[1:]...)
		var stderr bytes.Buffer
		run.Stderr = &stderr
		out, err := run.Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
		}
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				return nil, fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
			}
			e.GOARCH = b.Family
			all = append(all, e)
			n++
		}
		g.logf("%s: %d specs", b.GOARCH, n)
	}
	rows, err := g.rows(all)
	if err != nil {
		return nil, err
	}
	return render(rows), nil
}

// A row of the document: one It, or one DescribeTable with its entries.
type row struct {
	area, file string
	line       int
	ids        []string
	title      string   // the containers and the It's or table's text
	cases      []string // a table's entries
	families   []string // where it is compiled in, then narrowed
	source     []string
	since      string
	labels     map[string]int // label -> number of builds that have it
	builds     int
	// containers are the enclosing containers' locations, outermost
	// first (without a table's own DescribeTable).
	containers []location
}

type location struct {
	file string
	line int
}

var (
	idPattern  = regexp.MustCompile(`^[A-Z]+-[A-Z]*[0-9]+$`)
	bracketIDs = regexp.MustCompile(`\[([^\]]*)\]`)
)

func (g *Generator) rows(entries []entry) ([]*row, error) {
	byKey := map[string]*row{}
	var order []*row
	seenBuild := map[string]map[string]bool{}
	for _, e := range entries {
		file, err := g.repoPath(e.LeafFile)
		if err != nil {
			return nil, err
		}
		line := e.LeafLine
		title := append(slices.Clone(e.Containers), e.Leaf)
		var cases []string
		var containers []location
		for i := range e.ContainerLines {
			cf, err := g.repoPath(e.ContainerFiles[i])
			if err != nil {
				return nil, err
			}
			containers = append(containers, location{cf, e.ContainerLines[i]})
		}
		if n := len(e.ContainerLines); n > 0 {
			cf, err := g.repoPath(e.ContainerFiles[n-1])
			if err != nil {
				return nil, err
			}
			if strings.Contains(g.line(cf, e.ContainerLines[n-1]), "DescribeTable(") {
				file, line, title, cases = cf, e.ContainerLines[n-1], slices.Clone(e.Containers), []string{e.Leaf}
				containers = containers[:n-1]
			}
		}
		key := file + ":" + fmt.Sprint(line)
		r := byKey[key]
		if r == nil {
			r = &row{area: e.Area, file: file, line: line, title: strings.Join(title, " › "), labels: map[string]int{}, containers: containers}
			byKey[key] = r
			order = append(order, r)
			seenBuild[key] = map[string]bool{}
		}
		for _, c := range cases {
			if !slices.Contains(r.cases, c) {
				r.cases = append(r.cases, c)
			}
		}
		if !seenBuild[key][e.GOARCH] {
			seenBuild[key][e.GOARCH] = true
			r.builds++
			r.families = append(r.families, e.GOARCH)
			for _, l := range dedupe(e.Labels) {
				r.labels[l]++
			}
		}
	}
	for _, r := range order {
		for l := range r.labels {
			if idPattern.MatchString(l) {
				r.ids = append(r.ids, l)
			}
		}
		for _, m := range bracketIDs.FindAllStringSubmatch(r.title, -1) {
			for _, id := range strings.Split(m[1], ",") {
				if id = strings.TrimSpace(id); idPattern.MatchString(id) && !slices.Contains(r.ids, id) {
					r.ids = append(r.ids, id)
				}
			}
		}
		sort.Slice(r.ids, func(i, j int) bool { return idLess(r.ids[i], r.ids[j]) })
		r.families = g.narrow(r)
		// The spec's own comment, else its containers' (innermost first).
		comments := []string{g.commentAbove(r.file, r.line)}
		for i := len(r.containers) - 1; i >= 0; i-- {
			comments = append(comments, g.commentAbove(r.containers[i].file, r.containers[i].line))
		}
		for _, c := range comments {
			if r.source = sources(c); len(r.source) > 0 {
				break
			}
		}
		for i, c := range comments {
			title := ""
			if i == 0 {
				title = r.title
			}
			if r.since = since(title, c); r.since != "" {
				break
			}
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.area != b.area {
			return a.area < b.area
		}
		if a.file != b.file {
			return a.file < b.file
		}
		return a.line < b.line
	})
	return order, nil
}

// narrow is where a spec applies: the families it is compiled into,
// narrowed to the architecture labels it carries in every build (an
// explicit Label("arm64"), not the build's own label that
// harness.ArchLabel gives arch-neutral containers), then to the
// architectures its own body requires (harness.RequireArch).
func (g *Generator) narrow(r *row) []string {
	fam := slices.Clone(r.families)
	if r.builds > 1 {
		var explicit []string
		for _, f := range families() {
			if r.labels[f] == r.builds {
				explicit = append(explicit, f)
			}
		}
		if len(explicit) > 0 {
			fam = intersect(fam, explicit)
		}
	}
	if req := g.requiredArchs(r.file, r.line); len(req) > 0 {
		fam = intersect(fam, req)
	}
	sort.Slice(fam, func(i, j int) bool { return slices.Index(families(), fam[i]) < slices.Index(families(), fam[j]) })
	return fam
}

var requireArch = regexp.MustCompile(`RequireArch\(([^)]*)\)`)

// requiredArchs are the architectures harness.RequireArch names in the
// body of the node at file:line (the It's or the DescribeTable's function).
func (g *Generator) requiredArchs(file string, line int) []string {
	body := g.body(file, line)
	var out []string
	for _, m := range requireArch.FindAllStringSubmatch(body, -1) {
		for _, a := range strings.Split(m[1], ",") {
			a = strings.Trim(strings.TrimSpace(a), `"`)
			if slices.Contains(families(), a) && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// body is the source of the first function literal starting at file:line,
// up to its matching brace (strings, runes and comments skipped).
func (g *Generator) body(file string, line int) string {
	lines := g.source(file)
	if line < 1 || line > len(lines) {
		return ""
	}
	text := strings.Join(lines[line-1:], "\n")
	i := strings.Index(text, "func(")
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(text[i:], '{')
	if j < 0 {
		return ""
	}
	start := i + j
	depth := 0
	for k := start; k < len(text); k++ {
		switch c := text[k]; c {
		case '"', '\'', '`':
			end := k + 1
			for end < len(text) && text[end] != c {
				if text[end] == '\\' && c != '`' {
					end++
				}
				end++
			}
			k = end
		case '/':
			if k+1 < len(text) && text[k+1] == '/' {
				for k < len(text) && text[k] != '\n' {
					k++
				}
			}
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return text[start : k+1]
			}
		}
	}
	return text[start:]
}

// commentAbove is the comment block right above file:line, without the
// comment markers, joined into one line.
func (g *Generator) commentAbove(file string, line int) string {
	lines := g.source(file)
	var block []string
	for i := line - 2; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "//") {
			break
		}
		block = append([]string{strings.TrimSpace(strings.TrimPrefix(l, "//"))}, block...)
	}
	return strings.Join(block, " ")
}

var (
	// A kernel source file, optionally followed (or preceded) by the
	// function: "arch/x86/kvm/x86.c kvm_arch_vcpu_ioctl_run",
	// "kvm_psci_vcpu_on (arch/arm64/kvm/psci.c)".
	sourceFile   = regexp.MustCompile(`\b((?:arch|virt|include|Documentation|kernel|drivers|tools)/[A-Za-z0-9_./-]+\.(?:c|h|S|rst|txt))`)
	funcAfter    = regexp.MustCompile(`^[ ,:]*\(?([a-z_][a-z0-9_]*_[a-z0-9_]+)\b`)
	funcBefore   = regexp.MustCompile(`\b([a-z_][a-z0-9_]*_[a-z0-9_]+) \($`)
	linuxVersion = regexp.MustCompile(`\bLinux (\d+\.\d+(?:\.x)?)`)
	bracketVer   = regexp.MustCompile(`\[(\d+\.(?:\d+|x))\b`)
	sinceVer     = regexp.MustCompile(`\bsince (\d+\.\d+(?:\.\d+)?)\b`)
	parenVer     = regexp.MustCompile(`\((?:Linux )?(\d+\.\d+(?:\.\d+)?)[;,) ]`)
	// Kernel functions a comment names without their file.
	kernelFunc = regexp.MustCompile(`\b(?:__)?(?:kvm|kvmppc|vcpu|vmx|svm|complete|handle|emulator|em|sbi|psci)_[a-z0-9_]+\b`)
	// Names of the uapi, not functions.
	notFunc = []string{"kvm_run", "kvm_valid_regs", "kvm_dirty_regs", "kvm_mp_state", "kvm_regs", "kvm_sregs", "kvm_sync_regs",
		"kvm_vcpu", "kvm_one_reg", "kvm_signal_mask", "kvm_vcpu_events", "kvm_debug_exit_arch", "kvm_pvm", "kvm_amd", "kvm_intel", "kvm_hv", "kvm_pr"}
)

// sources lists the kernel files (with a function when the comment names
// one next to it) a spec's comment cites.
func sources(comment string) []string {
	var out []string
	for _, loc := range sourceFile.FindAllStringSubmatchIndex(comment, -1) {
		file := strings.TrimRight(comment[loc[2]:loc[3]], ".")
		s := file
		if m := funcAfter.FindStringSubmatch(comment[loc[3]:]); m != nil {
			s += " " + m[1]
		} else if m := funcBefore.FindStringSubmatch(comment[:loc[2]]); m != nil {
			s += " " + m[1]
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		for _, f := range kernelFunc.FindAllString(comment, -1) {
			if !slices.Contains(notFunc, f) && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// since is the first Linux version the spec names: "Linux X.Y" in its
// text, else in its comment, else a "[X.Y]" or "(X.Y" there, else
// "always" when the comment says so.
func since(title, comment string) string {
	for _, s := range []string{title, comment} {
		if m := linuxVersion.FindStringSubmatch(s); m != nil {
			return m[1]
		}
	}
	for _, re := range []*regexp.Regexp{bracketVer, sinceVer, parenVer} {
		if m := re.FindStringSubmatch(comment); m != nil {
			return m[1]
		}
	}
	if strings.Contains(comment, "[always]") || strings.Contains(comment, "always)") {
		return "always"
	}
	return ""
}

func (g *Generator) repoPath(name string) (string, error) {
	if rel, ok := strings.CutPrefix(name, modulePath); ok {
		return rel, nil
	}
	if i := strings.LastIndex(name, "/suites/"); i >= 0 {
		return name[i+1:], nil
	}
	return "", fmt.Errorf("spec location %s is not in the kvmconform module", name)
}

func (g *Generator) source(file string) []string {
	if g.sources == nil {
		g.sources = map[string][]string{}
	}
	if l, ok := g.sources[file]; ok {
		return l
	}
	data, _ := os.ReadFile(filepath.Join(g.Root, file))
	l := strings.Split(string(data), "\n")
	g.sources[file] = l
	return l
}

func (g *Generator) line(file string, n int) string {
	l := g.source(file)
	if n < 1 || n > len(l) {
		return ""
	}
	return l[n-1]
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func dedupe(l []string) []string {
	var out []string
	for _, x := range l {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// idLess orders spec lines by prefix, then number ("CMP-2" < "CMP-10").
func idLess(a, b string) bool {
	pa, na := splitID(a)
	pb, nb := splitID(b)
	if pa != pb {
		return pa < pb
	}
	return na < nb
}

func splitID(id string) (string, int) {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	n := 0
	fmt.Sscan(id[i:], &n)
	return id[:i], n
}
