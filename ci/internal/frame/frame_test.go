package frame

import (
	"bytes"
	"errors"
	"math/rand"
	"strings"
	"testing"
)

func payload(n int) []byte {
	r := rand.New(rand.NewSource(int64(n)))
	b := make([]byte, n)
	for i := range b {
		// Compressible but not trivial: JSON-ish text.
		b[i] = "{}[]\":,abcdefghij 0123456789\n"[r.Intn(29)]
	}
	return b
}

func encode(t *testing.T, name string, data []byte, gz bool) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, name, data, gz); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func decode(t *testing.T, s string) *Result {
	t.Helper()
	res, err := Decode(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 57, 76, 1000, 200000} {
		for _, gz := range []bool{false, true} {
			data := payload(n)
			s := encode(t, "abi.json", data, gz) + ExitLine(0) + "\n"
			res := decode(t, s)
			if err := res.Err(); err != nil {
				t.Fatalf("n=%d gz=%v: %v", n, gz, err)
			}
			f, ok := res.Get("abi.json")
			if !ok || !bytes.Equal(f.Data, data) {
				t.Fatalf("n=%d gz=%v: frame not recovered (ok=%v)", n, gz, ok)
			}
			if !res.ExitSeen || res.ExitStatus != 0 {
				t.Fatalf("exit marker not seen: %+v", res)
			}
		}
	}
}

func TestNoiseAndCRLF(t *testing.T) {
	a, b := payload(5000), payload(300)
	fa := encode(t, "a.json", a, true)
	fb := encode(t, "meta", b, false)
	// Interleave kernel messages between data lines, use CRLF as a serial
	// console does, and put junk before and after the markers.
	var out strings.Builder
	out.WriteString("[    1.234] random: crng init done\r\nSeabios junk\r\n")
	for i, line := range strings.Split(fa, "\n") {
		out.WriteString(line + "\r\n")
		if i%3 == 2 {
			out.WriteString("[    2.000] kvm_amd: Nested Virtualization enabled\r\n")
			out.WriteString("ok\r\n") // all base64 characters, but no '|' prefix
			out.WriteString("\r\n")
		}
	}
	out.WriteString("Ginkgo output\n")
	out.WriteString("\x1b[0m" + strings.ReplaceAll(fb, "\n", "\r\n"))
	out.WriteString("noise before the marker " + ExitLine(3) + "\r\n")
	out.WriteString("reboot: Restarting system\r\n")

	res := decode(t, out.String())
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := res.Get("a.json"); !bytes.Equal(got.Data, a) {
		t.Fatal("a.json corrupted")
	}
	if got, _ := res.Get("meta"); !bytes.Equal(got.Data, b) {
		t.Fatal("meta corrupted")
	}
	if res.Noise == 0 {
		t.Fatal("noise lines not counted")
	}
	if !res.ExitSeen || res.ExitStatus != 3 {
		t.Fatalf("exit = %v %d, want status 3", res.ExitSeen, res.ExitStatus)
	}
	if strings.Join(res.Names(), ",") != "a.json,meta" {
		t.Fatalf("names = %v", res.Names())
	}
}

func TestTruncated(t *testing.T) {
	s := encode(t, "abi.json", payload(3000), true)
	lines := strings.Split(s, "\n")

	// Console ends in the middle of the frame (guest crashed).
	res := decode(t, strings.Join(lines[:len(lines)/2], "\n"))
	if len(res.Frames) != 0 || len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrTruncated) {
		t.Fatalf("cut stream: frames=%d errors=%v", len(res.Frames), res.Errors)
	}
	if res.Errors[0].Name != "abi.json" {
		t.Fatalf("error names %q", res.Errors[0].Name)
	}

	// A new frame starts before the first one ended: the first is truncated,
	// the second is fine.
	good := encode(t, "meta", []byte("{}"), false)
	res = decode(t, strings.Join(lines[:len(lines)/2], "\n")+good)
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrTruncated) {
		t.Fatalf("errors = %v", res.Errors)
	}
	if _, ok := res.Get("meta"); !ok {
		t.Fatal("second frame lost")
	}

	// A data line lost from the middle (e.g. dropped by the console) keeps
	// the markers but breaks the length.
	cut := append(append([]string{}, lines[:4]...), lines[5:]...)
	res = decode(t, strings.Join(cut, "\n"))
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrLength) {
		t.Fatalf("missing line: errors = %v", res.Errors)
	}
	if res.Err() == nil {
		t.Fatal("Err() = nil with frame errors")
	}
}

func TestChecksumMismatch(t *testing.T) {
	s := encode(t, "abi.json", payload(2000), false)
	lines := strings.Split(s, "\n")
	// Flip one base64 character in a data line, keeping the length.
	l := []byte(lines[3])
	if l[10] == 'A' {
		l[10] = 'B'
	} else {
		l[10] = 'A'
	}
	lines[3] = string(l)
	res := decode(t, strings.Join(lines, "\n"))
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrChecksum) {
		t.Fatalf("errors = %v", res.Errors)
	}
	if !strings.Contains(res.Err().Error(), "abi.json") {
		t.Fatalf("error does not name the frame: %v", res.Err())
	}
}

func TestNoiseInsideDataLine(t *testing.T) {
	s := encode(t, "abi.json", payload(2000), true)
	lines := strings.Split(s, "\n")
	// A kernel message lands in the middle of a data line: the rest of the
	// line arrives as a separate line without the prefix.
	l := lines[3]
	lines[3] = l[:20] + "[   3.1] hvc: hello"
	lines = append(lines[:4], append([]string{l[20:]}, lines[4:]...)...)
	res := decode(t, strings.Join(lines, "\n"))
	if len(res.Errors) != 1 {
		t.Fatalf("errors = %v", res.Errors)
	}
	if !errors.Is(res.Errors[0], ErrLength) && !errors.Is(res.Errors[0], ErrChecksum) && !errors.Is(res.Errors[0], ErrEncoding) {
		t.Fatalf("unexpected error %v", res.Errors[0])
	}
}

func TestBadHeader(t *testing.T) {
	for _, hdr := range []string{
		"===KVMCONFORM-BEGIN name=x len=abc sha256=00===",
		"===KVMCONFORM-BEGIN name=x len=3 sha256=00===",
		"===KVMCONFORM-BEGIN name=x enc=zip len=0 sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855===",
	} {
		res := decode(t, hdr+"\n===KVMCONFORM-END name=x===\n")
		if len(res.Errors) != 1 || len(res.Frames) != 0 {
			t.Fatalf("%s: frames=%v errors=%v", hdr, res.Frames, res.Errors)
		}
	}
	var buf bytes.Buffer
	if err := Encode(&buf, "bad name", nil, false); err == nil {
		t.Fatal("Encode accepted a name with a space")
	}
}

func TestIsExitLine(t *testing.T) {
	for line, want := range map[string]bool{
		ExitLine(0):                          true,
		"junk" + ExitLine(1) + "\r":          true,
		"===KVMCONFORM-EXIT status=x===":     false,
		"===KVMCONFORM-EXIT status=1":        false,
		"===KVMCONFORM-END name=abi.json===": false,
	} {
		if got := IsExitLine(line); got != want {
			t.Errorf("IsExitLine(%q) = %v, want %v", line, got, want)
		}
	}
}
