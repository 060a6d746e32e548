package reports

// The formats checked by the programs that consume them, each skipping with
// its reason where the consumer is not installed (scripts/deps installs
// them all):
//
//   - KTAP by the kernel's own parser, tools/testing/kunit/kunit_parser.py,
//     from Debian's linux-source package (its tarball under /usr/src is
//     unpacked, just tools/testing/kunit/, into ~/.cache/kvmconform/kunit;
//     $KVMCONFORM_KUNIT_DIR names another directory holding kunit_parser.py);
//   - JUnit by Python's xml.etree (an independent parser: the counts must
//     agree) and by python3-lxml against testdata/junit.xsd (Jenkins'
//     JUnit schema plus Ginkgo's two extensions, see the file);
//   - the HTML page by headless Chromium (Debian package chromium): a
//     screenshot, the DOM it rendered (the matrix, every row), and no
//     console message. $KVMCONFORM_SCREENSHOT_DIR keeps the screenshot.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/expectations"
)

// debianRows are the two real QEMU rows, judged with the shipped list.
func debianRows(t *testing.T) []*Run {
	t.Helper()
	shipped, err := expectations.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var runs []*Run
	for _, d := range []string{"testdata/amd64-debian-bookworm", "testdata/amd64-debian-trixie"} {
		r, err := Load(d, areaOrder)
		if err != nil {
			t.Fatal(err)
		}
		r.Judge(shipped)
		runs = append(runs, r)
	}
	return runs
}

// kunitDir finds kunit_parser.py, unpacking it from Debian's linux-source
// tarball into the cache the first time.
func kunitDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("KVMCONFORM_KUNIT_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "kunit_parser.py")); err != nil {
			t.Fatalf("KVMCONFORM_KUNIT_DIR: %v", err)
		}
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory for the kernel's KTAP parser: %v", err)
	}
	base := filepath.Join(cache, "kvmconform", "kunit")
	if found, _ := filepath.Glob(filepath.Join(base, "*", "tools", "testing", "kunit", "kunit_parser.py")); len(found) > 0 {
		return filepath.Dir(found[len(found)-1])
	}
	tarballs, _ := filepath.Glob("/usr/src/linux-source-*.tar.xz")
	if len(tarballs) == 0 {
		t.Skip("the kernel's KTAP parser is not here: no ~/.cache/kvmconform/kunit and no /usr/src/linux-source-*.tar.xz (apt-get install linux-source; scripts/deps does)")
	}
	tarball := tarballs[len(tarballs)-1]
	top := strings.TrimSuffix(filepath.Base(tarball), ".tar.xz")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(base, ".unpack-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("tar", "-xJf", tarball, "-C", tmp, top+"/tools/testing/kunit/")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unpacking tools/testing/kunit from %s: %v: %s", tarball, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, top), filepath.Join(base, top)); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	return filepath.Join(base, top, "tools", "testing", "kunit")
}

func python(t *testing.T, module string) string {
	t.Helper()
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		bin, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if module == "" || exec.Command(bin, "-c", "import "+module).Run() == nil {
			return bin
		}
	}
	if module == "" {
		t.Skip("python3 is not installed")
	}
	t.Skipf("no python3 with %s (apt-get install python3-%s; scripts/deps does)", module, module)
	return ""
}

// kunitScript parses a KTAP file with kunit_parser.parse_run_tests and
// prints, as JSON, the top-level status, the counts and every error the
// parser recorded on any test.
const kunitScript = `
import json, sys
sys.path.insert(0, sys.argv[1])
import kunit_parser
with open(sys.argv[2]) as f:
    test = kunit_parser.parse_run_tests(f.readlines())
errors = []
def walk(t, path):
    for e in getattr(t, 'errors', []) or []:
        errors.append(path + ': ' + str(e))
    for s in t.subtests:
        walk(s, path + '/' + s.name)
walk(test, test.name)
c = test.counts
print('RESULT ' + json.dumps({'status': test.status.name, 'passed': c.passed, 'failed': c.failed, 'crashed': c.crashed,
    'skipped': c.skipped, 'errors': errors, 'subtests': [s.name for s in test.subtests]}))
`

type kunitResult struct {
	Status                           string
	Passed, Failed, Crashed, Skipped int
	Errors, Subtests                 []string
}

func parseKTAP(t *testing.T, dir, ktap string) kunitResult {
	t.Helper()
	py := python(t, "")
	file := filepath.Join(t.TempDir(), "ktap.txt")
	if err := os.WriteFile(file, []byte(ktap), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", kunitScript, dir, file).CombinedOutput()
	if err != nil {
		t.Fatalf("kunit_parser: %v\n%s", err, out)
	}
	i := bytes.LastIndex(out, []byte("RESULT "))
	if i < 0 {
		t.Fatalf("kunit_parser said nothing parseable:\n%s", out)
	}
	var r kunitResult
	if err := json.Unmarshal(out[i+len("RESULT "):], &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestKTAPKernelParser feeds the kernel's KTAP parser a single run (the
// Debian 6.12 row, with two expected failures), the two-row matrix, and a
// run with unexpected failures and a missing area: it must parse each
// without an error, and its counts and verdict must be the run's (an
// expected failure is an "ok ... # XFAIL", which it counts as passed).
func TestKTAPKernelParser(t *testing.T) {
	dir := kunitDir(t)
	rows := debianRows(t)
	trixie := rows[1]
	var one bytes.Buffer
	if err := WriteKTAP(&one, NewMatrix([]*Run{trixie}, areaOrder)); err != nil {
		t.Fatal(err)
	}
	c := trixie.Result.Counts
	r := parseKTAP(t, dir, one.String())
	if r.Status != "SUCCESS" || len(r.Errors) > 0 || r.Passed != c.Passed+c.Expected || r.Failed != 0 || r.Skipped != c.Skipped ||
		strings.Join(r.Subtests, ",") != "abi,immediateexit,kick,mpstate" {
		t.Errorf("6.12 row: kunit_parser says %+v; the run has %s", r, c)
	}

	var two bytes.Buffer
	if err := WriteKTAP(&two, NewMatrix(rows, areaOrder)); err != nil {
		t.Fatal(err)
	}
	r = parseKTAP(t, dir, two.String())
	b := rows[0].Result.Counts
	if r.Status != "SUCCESS" || len(r.Errors) > 0 || r.Passed != b.Passed+c.Passed+c.Expected || r.Skipped != b.Skipped+c.Skipped ||
		strings.Join(r.Subtests, ",") != "amd64 debian:bookworm,amd64 debian:trixie" {
		t.Errorf("two rows: kunit_parser says %+v", r)
	}

	_, cand := twoRuns(t)
	var bad bytes.Buffer
	if err := WriteKTAP(&bad, NewMatrix([]*Run{cand}, areaOrder)); err != nil {
		t.Fatal(err)
	}
	r = parseKTAP(t, dir, bad.String())
	k := cand.Result.Counts
	// Failed: the unexpected failures, and the kick area that did not
	// report (a "not ok" leaf).
	if r.Status != "FAILURE" || len(r.Errors) > 0 || r.Failed != k.Failed || r.Passed != k.Passed+k.Expected || r.Skipped != k.Skipped {
		t.Errorf("a failing run: kunit_parser says %+v; the run has %s", r, k)
	}
}

// junitScript reads a JUnit file with xml.etree and prints its counts;
// with a schema, it also validates it with lxml.
const junitScript = `
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = {'root': root.tag, 'suites': [], 'cases': 0, 'failures': 0, 'errors': 0, 'skipped': 0, 'properties': {}}
for s in root.iter('testsuite'):
    out['suites'].append(s.get('name'))
    for p in s.find('properties') or []:
        out['properties'].setdefault(p.get('name'), p.get('value'))
    for c in s.iter('testcase'):
        out['cases'] += 1
        out['failures'] += len(c.findall('failure'))
        out['errors'] += len(c.findall('error'))
        out['skipped'] += len(c.findall('skipped'))
if len(sys.argv) > 2:
    from lxml import etree
    schema = etree.XMLSchema(etree.parse(sys.argv[2]))
    doc = etree.parse(sys.argv[1])
    out['valid'] = schema.validate(doc)
    out['schemaErrors'] = [str(e) for e in schema.error_log][:5]
print('RESULT ' + json.dumps(out))
`

type junitResult struct {
	Root                             string
	Suites                           []string
	Cases, Failures, Errors, Skipped int
	Properties                       map[string]string
	Valid                            *bool
	SchemaErrors                     []string `json:"schemaErrors"`
}

func checkJUnit(t *testing.T, py string, xml []byte, schema bool) junitResult {
	t.Helper()
	file := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(file, xml, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-c", junitScript, file}
	if schema {
		xsd, _ := filepath.Abs("testdata/junit.xsd")
		args = append(args, xsd)
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	i := bytes.LastIndex(out, []byte("RESULT "))
	var r junitResult
	if i < 0 || json.Unmarshal(out[i+len("RESULT "):], &r) != nil {
		t.Fatalf("python said:\n%s", out)
	}
	return r
}

// TestJUnitConsumers reads the JUnit of the Debian 6.12 row and of a run
// with a missing area with Python's own XML parser (its counts must be the
// run's) and validates both against the JUnit schema.
func TestJUnitConsumers(t *testing.T) {
	trixie := debianRows(t)[1]
	_, cand := twoRuns(t)
	for _, run := range []*Run{trixie, cand} {
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, run); err != nil {
			t.Fatal(err)
		}
		py := python(t, "")
		r := checkJUnit(t, py, buf.Bytes(), false)
		specs := 0
		for _, rep := range run.Reports {
			specs += len(rep.SpecReports)
		}
		c := run.Result.Counts
		missing := len(run.Areas) - len(run.Reports)
		// Failures: every failed spec (expected or not) and suite node;
		// errors: one per area that did not report.
		if r.Root != "testsuites" || r.Cases != specs+missing || r.Failures != c.Expected+c.Failed-missing || r.Errors != missing ||
			r.Skipped != c.Skipped || r.Properties["host.kernel"] != run.Host.Kernel {
			t.Errorf("%s: xml.etree reads %+v; the run has %s, %d spec reports, %d areas missing", run.Label, r, c, specs, missing)
		}
		lx := python(t, "lxml")
		v := checkJUnit(t, lx, buf.Bytes(), true)
		if v.Valid == nil || !*v.Valid {
			t.Errorf("%s: junit.xml does not validate against testdata/junit.xsd: %q", run.Label, v.SchemaErrors)
		}
	}
}

// TestHTMLInChromium opens the matrix of both Debian rows in headless
// Chromium: it must render (a screenshot is taken; the DOM has the matrix
// with a row per spec and a column per run, the failures' details) and log
// no console message.
func TestHTMLInChromium(t *testing.T) {
	chromium := ""
	for _, c := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(c); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium; scripts/deps does)")
	}
	if testing.Short() {
		t.Skip("-short: not starting a browser")
	}
	rows := debianRows(t)
	m := NewMatrix(rows, areaOrder)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, m, "kvmconform: Debian 6.1 and 6.12 on amd64", time.Unix(1800000000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shotDir := os.Getenv("KVMCONFORM_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = dir
	}
	shot := filepath.Join(shotDir, "report.png")
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0"}
	run := func(args ...string) (stdout, stderr string) {
		cmd := exec.Command(chromium, append(append([]string{}, common...), args...)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s %q: %v\n%s", chromium, args, err, e.String())
			}
		case <-time.After(90 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s %q: no answer in 90 s", chromium, args)
		}
		return o.String(), e.String()
	}
	_, logs := run("--window-size=1400,2400", "--screenshot="+shot, "file://"+page)
	st, err := os.Stat(shot)
	if err != nil || st.Size() < 10000 {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, st.Size())
	dom, logs2 := run("--dump-dom", "file://"+page)
	console := regexp.MustCompile(`(?i)CONSOLE|Uncaught|SyntaxError|ReferenceError|Refused to|Failed to load`)
	for _, l := range strings.Split(logs+logs2, "\n") {
		if console.MatchString(l) {
			t.Errorf("console: %s", l)
		}
	}
	// The rendered DOM: the matrix, with a row per spec and a cell per run.
	tr := regexp.MustCompile(`<tr class="spec[^"]*">`)
	if n := len(tr.FindAllString(dom, -1)); n != len(m.Rows) {
		t.Errorf("the rendered matrix has %d spec rows, want %d", n, len(m.Rows))
	}
	for _, want := range []string{`id="matrix"`, `>amd64 debian:bookworm</th>`, `>amd64 debian:trixie</th>`,
		`<summary>expected</summary>`, "kvm_valid_regs bit 63", fmt.Sprintf(`<td class="num">%d</td>`, rows[0].Result.Counts.Passed)} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered DOM lacks %q", want)
		}
	}
}
