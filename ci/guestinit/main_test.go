//go:build linux

package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kvmconform/kvmconform/ci/internal/guestconf"
)

// fakeConform is a stand-in for the conformance binary's run command: it
// logs its --area list, writes a report for each area in --area-json
// (unless the area is named in $NOREPORT) and a metadata.json in --out in
// which the areas named in $FAIL (space-separated "area:run", the run
// counted from 1) are not OK, and exits 1 when one is not.
const fakeConform = `#!/bin/sh
PATH=/usr/bin:/bin
dir=$(dirname "$0")
areas= out= ajson= formats=
while [ $# -gt 0 ]; do
	case $1 in
	--area) areas=$2; shift 2 ;;
	--formats) formats=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--area-json) ajson=$2; shift 2 ;;
	*) shift ;;
	esac
done
if [ -n "$LEGACY" ] && [ -n "$ajson" ]; then
	echo "flag provided but not defined: -area-json" >&2
	exit 2
fi
if [ -n "$NOFORMATS" ] && [ -n "$formats" ]; then
	echo "flag provided but not defined: -formats" >&2
	exit 2
fi
echo "${formats:-all}" >> "$dir/formats"
echo "$areas" >> "$dir/calls"
n=$(wc -l < "$dir/calls")
mkdir -p "$out"
[ -n "$ajson" ] && mkdir -p "$ajson"
runs= status=0
for a in $(echo "$areas" | tr , ' '); do
	ok=true
	case " $FAIL " in *" $a:$n "*) ok=false status=1 ;; esac
	if [ -n "$LEGACY" ]; then
		echo "[{\"SuitePath\": \"suites/$a\", \"run\": $n}]" > "$out/report.json"
		[ $ok = true ] || exit 1
		exit 0
	fi
	case " $NOREPORT " in *" $a "*) ;; *) echo "[{\"SuitePath\": \"suites/$a\", \"run\": $n}]" > "$ajson/$a.json" ;; esac
	[ "$KILL" = "$a" ] && kill -9 $$
	runs="$runs${runs:+,}{\"name\": \"$a\", \"seconds\": 1.5, \"ok\": $ok}"
done
echo "{\"kind\": \"native\", \"problems\": {}, \"areaRuns\": [$runs]}" > "$out/metadata.json"
exit $status
`

func fakeRunner(t *testing.T, env ...string) (areaRunner, func() []string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "kvmconform")
	if err := os.WriteFile(bin, []byte(fakeConform), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
	calls := func() []string {
		b, _ := os.ReadFile(filepath.Join(dir, "calls"))
		return strings.Fields(string(b))
	}
	return areaRunner{bin: bin, out: filepath.Join(dir, "out")}, calls
}

// runCommand gives the child a fixed environment; the fake reads its
// scenario from these.
func passEnv(names ...string) []string {
	var env []string
	for _, n := range names {
		env = append(env, n+"="+os.Getenv(n))
	}
	return env
}

var scenario = []string{"FAIL", "NOREPORT", "KILL", "LEGACY", "NOFORMATS"}

func outcome(runs []guestconf.SuiteRun) map[string][4]int {
	m := map[string][4]int{}
	for _, r := range runs {
		m[r.Name] = [4]int{r.ExitCode, r.Runs, r.Passed, len(r.Error)}
	}
	return m
}

func TestRunAreasOnce(t *testing.T) {
	c, calls := fakeRunner(t, "FAIL=kick:1")
	runs := c.run([]string{"abi", "kick", "nested"}, nil, passEnv(scenario...), time.Time{}, 1)
	if got := calls(); !reflect.DeepEqual(got, []string{"abi,kick,nested"}) {
		t.Errorf("calls %q, want one for every area", got)
	}
	want := map[string][4]int{"abi": {0, 1, 1, 0}, "kick": {1, 1, 0, 0}, "nested": {0, 1, 1, 0}}
	if got := outcome(runs); !reflect.DeepEqual(got, want) {
		t.Errorf("exit, runs, passed, error length %v, want %v (%+v)", got, want, runs)
	}
	for _, a := range []string{"abi", "kick", "nested"} {
		if b, err := os.ReadFile(c.reportPath(a)); err != nil || !strings.Contains(string(b), `"suites/`+a+`"`) {
			t.Errorf("%s: %q %v", a, b, err)
		}
	}
	if runs[0].Seconds != 1.5 {
		t.Errorf("seconds %v, want the area's own", runs[0].Seconds)
	}
}

// --repeat: each run is one kvmconform run of the areas still passing.
func TestRunAreasRepeated(t *testing.T) {
	c, calls := fakeRunner(t, "FAIL=kick:2")
	runs := c.run([]string{"abi", "kick"}, nil, passEnv(scenario...), time.Time{}, 3)
	if got := calls(); !reflect.DeepEqual(got, []string{"abi,kick", "abi,kick", "abi"}) {
		t.Errorf("calls %q", got)
	}
	want := map[string][4]int{"abi": {0, 3, 3, 0}, "kick": {1, 2, 1, 0}}
	if got := outcome(runs); !reflect.DeepEqual(got, want) {
		t.Errorf("exit, runs, passed, error length %v, want %v", got, want)
	}
	// The reports left are the areas' last runs'.
	if b, _ := os.ReadFile(c.reportPath("kick")); !strings.Contains(string(b), `"run": 2`) {
		t.Errorf("kick's report %q, want run 2's", b)
	}
	if b, _ := os.ReadFile(c.reportPath("abi")); !strings.Contains(string(b), `"run": 3`) {
		t.Errorf("abi's report %q, want run 3's", b)
	}
}

// An area without a report fails; a run killed before its metadata leaves
// the reports of the areas before it, with kvmconform run's status.
func TestRunAreasMissing(t *testing.T) {
	c, _ := fakeRunner(t, "NOREPORT=kick")
	runs := c.run([]string{"abi", "kick"}, nil, passEnv(scenario...), time.Time{}, 2)
	if r := runs[1]; r.Passed != 0 || r.Runs != 1 || !strings.HasPrefix(r.Error, "no JSON report: ") {
		t.Errorf("kick without a report: %+v", r)
	}

	c, _ = fakeRunner(t, "KILL=kick")
	runs = c.run([]string{"abi", "kick", "nested"}, nil, passEnv(scenario...), time.Time{}, 1)
	if _, err := os.Stat(c.reportPath("abi")); err != nil {
		t.Errorf("abi's report: %v", err)
	}
	for _, r := range runs {
		if r.ExitCode != -1 || r.Passed != 0 {
			t.Errorf("killed run: %+v", r)
		}
	}
	if !strings.HasPrefix(runs[2].Error, "no JSON report: ") {
		t.Errorf("nested never ran: %+v", runs[2])
	}
}

// The init asks for no report format but the summary (the host makes the
// others); a binary without --formats (an old bundle's) is run again
// without it, once, before the init falls back to one run per area.
func TestRunAreasFormats(t *testing.T) {
	for _, tc := range []struct {
		env     string
		formats []string
	}{
		{"NOFORMATS=", []string{"summary"}},
		{"NOFORMATS=1", []string{"all"}},
	} {
		c, calls := fakeRunner(t, tc.env)
		runs := c.run([]string{"abi", "kick"}, nil, passEnv(scenario...), time.Time{}, 1)
		if got := calls(); !reflect.DeepEqual(got, []string{"abi,kick"}) {
			t.Errorf("%s: calls %q, want one run of both areas", tc.env, got)
		}
		b, _ := os.ReadFile(filepath.Join(filepath.Dir(c.bin), "formats"))
		if got := strings.Fields(string(b)); !reflect.DeepEqual(got, tc.formats) {
			t.Errorf("%s: the run that ran asked for formats %q, want %q", tc.env, got, tc.formats)
		}
		want := map[string][4]int{"abi": {0, 1, 1, 0}, "kick": {0, 1, 1, 0}}
		if got := outcome(runs); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: exit, runs, passed, error length %v, want %v (%+v)", tc.env, got, want, runs)
		}
	}
}

// A binary without --area-json (an old bundle's) runs each area alone.
func TestRunAreasLegacy(t *testing.T) {
	c, calls := fakeRunner(t, "LEGACY=1", "FAIL=kick:2")
	runs := c.run([]string{"abi", "kick"}, nil, passEnv(scenario...), time.Time{}, 1)
	if got := calls(); !reflect.DeepEqual(got, []string{"abi", "kick"}) {
		t.Errorf("calls %q, want one per area", got)
	}
	want := map[string][4]int{"abi": {0, 1, 1, 0}, "kick": {1, 1, 0, 0}}
	if got := outcome(runs); !reflect.DeepEqual(got, want) {
		t.Errorf("exit, runs, passed, error length %v, want %v (%+v)", got, want, runs)
	}
	if b, err := os.ReadFile(c.reportPath("kick")); err != nil || !strings.Contains(string(b), `"suites/kick"`) {
		t.Errorf("kick's report %q %v", b, err)
	}
}
