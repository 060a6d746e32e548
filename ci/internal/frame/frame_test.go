package frame

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

func encode(t testing.TB, name string, data []byte, gz bool) string {
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

// rawFrame builds a frame around an already encoded payload (enc is what
// the header claims), as a guest that does not use Encode would.
func rawFrame(name, enc string, payload []byte) string {
	sum := sha256.Sum256(payload)
	var b strings.Builder
	fmt.Fprintf(&b, "\n===KVMCONFORM-BEGIN name=%s enc=%s len=%d sha256=%s===\n", name, enc, len(payload), hex.EncodeToString(sum[:]))
	s := base64.StdEncoding.EncodeToString(payload)
	for len(s) > 0 {
		n := min(76, len(s))
		b.WriteString("|" + s[:n] + "\n")
		s = s[n:]
	}
	fmt.Fprintf(&b, "===KVMCONFORM-END name=%s===\n", name)
	return b.String()
}

// zeros returns n zero bytes gzip-compressed (a gzip bomb: about a
// thousandth of n).
func zeros(t testing.TB, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := io.CopyN(zw, zeroReader{}, n); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestGzipBomb plants frames that expand beyond the limits: each is an
// error, and the frames and the exit marker after them still come through.
func TestGzipBomb(t *testing.T) {
	lim := Limits{Frame: 1 << 20, Total: 3 << 20}
	var in strings.Builder
	in.WriteString(rawFrame("bomb", EncGzip, zeros(t, 8<<20)))
	for i := range 5 {
		in.WriteString(rawFrame(fmt.Sprintf("part%d", i), EncGzip, zeros(t, 900<<10)))
	}
	in.WriteString(encode(t, "after.json", payload(5000), false))
	in.WriteString(ExitLine(0) + "\n")
	res, err := DecodeLimits(strings.NewReader(in.String()), lim)
	if err != nil {
		t.Fatal(err)
	}
	var tooLarge []string
	for _, e := range res.Errors {
		if errors.Is(e, ErrTooLarge) {
			tooLarge = append(tooLarge, e.Name)
		}
	}
	// The bomb uses 1 MiB + 1 of the 3 MiB, part0 and part1 fit in the
	// rest, part2 to part4 do not.
	if strings.Join(tooLarge, " ") != "bomb part2 part3 part4" || len(res.Errors) != 4 {
		t.Fatalf("errors = %v", res.Errors)
	}
	if f, ok := res.Get("part1"); !ok || len(f.Data) != 900<<10 {
		t.Fatalf("part1 lost")
	}
	if _, ok := res.Get("after.json"); !ok || !res.ExitSeen {
		t.Fatalf("frames after the bomb lost: %v %v", res.Names(), res.ExitSeen)
	}
	for _, f := range res.Frames {
		if len(f.Data) > lim.Frame {
			t.Errorf("%s: %d bytes kept", f.Name, len(f.Data))
		}
	}

	// The default limits: a frame of the header's len beyond them is not
	// even collected.
	res = decode(t, "===KVMCONFORM-BEGIN name=x enc=raw len=999999999999 sha256="+strings.Repeat("0", 64)+"===\n|AAAA\n===KVMCONFORM-END name=x===\n")
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrTooLarge) {
		t.Fatalf("huge len: %v", res.Errors)
	}
}

// TestEndlessFrame: data lines beyond the header's len are not collected.
func TestEndlessFrame(t *testing.T) {
	var in strings.Builder
	in.WriteString("===KVMCONFORM-BEGIN name=x enc=raw len=3 sha256=" + strings.Repeat("0", 64) + "===\n")
	for range 1000 {
		in.WriteString("|" + strings.Repeat("A", 76) + "\n")
	}
	in.WriteString("===KVMCONFORM-END name=x===\n")
	res := decode(t, in.String())
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrLength) {
		t.Fatalf("errors = %v", res.Errors)
	}
}

// TestLongLines plants console lines over the old 16 MiB scanner limit:
// they are skipped, and the frames and the exit marker after them, or a
// marker at a long line's end, are still decoded.
func TestLongLines(t *testing.T) {
	long := strings.Repeat("x", 17<<20)
	data := payload(3000)
	s := "boot\n" + long + "\n" + encode(t, "abi.json", data, true) + long + "\n" + long + ExitLine(2) + "\n"
	res := decode(t, s)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if f, ok := res.Get("abi.json"); !ok || !bytes.Equal(f.Data, data) {
		t.Fatal("frame after a long line lost")
	}
	if !res.ExitSeen || res.ExitStatus != 2 || res.LongLines != 3 {
		t.Fatalf("exit %v %d, long lines %d", res.ExitSeen, res.ExitStatus, res.LongLines)
	}

	// A long line inside a frame is corruption of that frame only.
	lines := strings.Split(encode(t, "a", data, false), "\n")
	lines[3] = "|" + long
	res = decode(t, strings.Join(lines, "\n")+encode(t, "b", data, false))
	if len(res.Errors) != 1 || res.Errors[0].Name != "a" {
		t.Fatalf("errors = %v", res.Errors)
	}
	if _, ok := res.Get("b"); !ok {
		t.Fatal("next frame lost")
	}
}

// TestManyFrames plants 80,000 small frames (35 s with the quadratic
// bookkeeping) and checks that decoding grows linearly: four times the
// frames may not take ten times as long (quadratic: sixteen). The best of
// three runs is compared, so a busy machine does not decide.
func TestManyFrames(t *testing.T) {
	gen := func(n int) string {
		var b strings.Builder
		for i := range n {
			// Every tenth name repeats: the later frame replaces it.
			name := fmt.Sprintf("f%d", i)
			if i%10 == 9 {
				name = "f0"
			}
			b.WriteString(encode(t, name, []byte{byte(i)}, false))
		}
		return b.String()
	}
	large := gen(80000)
	res := decode(t, large)
	if len(res.Frames) != 72000 {
		t.Fatalf("%d frames", len(res.Frames))
	}
	// Linear, by construction rather than by the clock (no test may depend
	// on this machine's speed; BenchmarkManyFrames measures it): every
	// frame is reached through the index, so adding one never scans the
	// others.
	if len(res.index) != len(res.Frames) {
		t.Fatalf("index holds %d names for %d frames", len(res.index), len(res.Frames))
	}
	for name, i := range res.index {
		if res.Frames[i].Name != name {
			t.Fatalf("index[%q] = %d holds %q", name, i, res.Frames[i].Name)
		}
	}
	if f, ok := res.Get("f0"); !ok || f.Data[0] != byte(79999%256) || res.Frames[len(res.Frames)-1].Name != "f0" {
		t.Fatalf("f0 = %v %v", f, ok)
	}
	if f, ok := res.Get("f79998"); !ok || f.Data[0] != byte(79998%256) {
		t.Fatalf("f79998 = %v %v", f, ok)
	}
}

// FuzzDecode feeds the decoder arbitrary consoles followed by a good frame
// and an exit marker: it must not fail or panic, keep within its limits,
// and still recover what comes after the garbage. `go test` runs the seed
// corpus; `go test -fuzz FuzzDecode ./ci/internal/frame` explores.
func FuzzDecode(f *testing.F) {
	good := func(name string, n int, gz bool) []byte {
		var b bytes.Buffer
		Encode(&b, name, payload(n), gz)
		return b.Bytes()
	}
	f.Add([]byte(""))
	f.Add([]byte("[    0.1] Linux version 6.1\r\nnoise\n"))
	f.Add(good("abi.json", 500, true))
	f.Add(good("meta", 100, false))
	f.Add(good("probe", 10, false)) // the name the probe frame uses
	f.Add(append(good("a", 3000, true)[:200], '\n'))
	f.Add([]byte(rawFrame("bomb", EncGzip, zeros(f, 1<<20))))
	f.Add([]byte(rawFrame("bad", EncGzip, []byte("not gzip"))))
	f.Add([]byte("===KVMCONFORM-BEGIN name=x enc=raw len=5 sha256=zz===\n|AAAA\n"))
	f.Add([]byte("===KVMCONFORM-BEGIN name= enc= len=-1 sha256====\n===KVMCONFORM-END name===\n"))
	f.Add([]byte("===KVMCONFORM-END name=x===\n===KVMCONFORM-EXIT status=x===\n===KVMCONFORM-EXIT status=9"))
	f.Add([]byte(strings.Repeat("y", 10000) + "===KVMCONFORM-BEGIN name=a len=0 sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855==="))
	f.Add([]byte("\x1b[2J\x00\xff|AAAA\r\r\n|"))

	probeData := []byte("the frame after the garbage")
	var probe bytes.Buffer
	probe.WriteString("\n")
	Encode(&probe, "probe", probeData, false)
	probe.WriteString(ExitLine(7) + "\n")
	lim := Limits{Line: 4096, Frame: 64 << 10, Total: 256 << 10}

	f.Fuzz(func(t *testing.T, console []byte) {
		in := append(append([]byte{}, console...), probe.Bytes()...)
		res, err := DecodeLimits(bytes.NewReader(in), lim)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := res.Get("probe"); !ok || !bytes.Equal(p.Data, probeData) {
			t.Fatalf("the frame after the garbage was lost: %v", res.Err())
		}
		if !res.ExitSeen || res.ExitStatus != 7 {
			t.Fatalf("exit marker after the garbage: %v %d", res.ExitSeen, res.ExitStatus)
		}
		seen := map[string]bool{}
		for _, fr := range res.Frames {
			if fr.Name == "" || seen[fr.Name] {
				t.Fatalf("frame name %q twice or empty", fr.Name)
			}
			seen[fr.Name] = true
			if len(fr.Data) > lim.Frame {
				t.Fatalf("frame %s: %d bytes, over the limit", fr.Name, len(fr.Data))
			}
			if g, ok := res.Get(fr.Name); !ok || !bytes.Equal(g.Data, fr.Data) {
				t.Fatalf("Get(%s) disagrees with Frames", fr.Name)
			}
		}
		if (res.Err() == nil) != (len(res.Errors) == 0) {
			t.Fatal("Err() and Errors disagree")
		}
	})
}

// BenchmarkManyFrames decodes 80,000 small frames (35 s before frames
// were indexed).
func BenchmarkManyFrames(b *testing.B) {
	var sb strings.Builder
	for i := range 80000 {
		sb.WriteString(encode(b, fmt.Sprintf("f%d", i), []byte{byte(i)}, false))
	}
	in := sb.String()
	for b.Loop() {
		if _, err := Decode(strings.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
