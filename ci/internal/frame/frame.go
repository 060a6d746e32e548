// Package frame carries files from the guest to the host over a console
// that also carries other text (kernel messages, test output).
//
// A frame is
//
//	===KVMCONFORM-BEGIN name=abi.json enc=gzip len=1234 sha256=ab12...===
//	|H4sIAAAAAAAA/6pWKkktLlGyUlAqS8wpTVWqBQQAAP//AQAA...
//	|...
//	===KVMCONFORM-END name=abi.json===
//
// len and sha256 describe the transmitted bytes (after gzip, before base64).
// Data lines start with '|', which is not in the base64 alphabet, so lines of
// console noise between data lines are recognised and skipped; noise that
// lands inside a data line breaks the length or checksum and is reported.
// A run ends with
//
//	===KVMCONFORM-EXIT status=0===
//
// The console comes from a guest, which may be broken or hostile, so Decode
// bounds what it keeps (Limits): a frame's size before and after gzip, all
// gzip frames together, and the length of a console line (a longer line is
// skipped; a marker at its end still counts).
//
// Only the standard library is used so the guest init stays small.
package frame

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

const (
	markerPrefix = "===KVMCONFORM-"
	markerSuffix = "==="
	beginWord    = "BEGIN"
	endWord      = "END"
	exitWord     = "EXIT"
	dataPrefix   = '|'
	lineLen      = 76
)

// Encodings of the transmitted bytes.
const (
	EncRaw  = "raw"
	EncGzip = "gzip"
)

// Errors a frame can have; Decode wraps them with the frame name.
var (
	ErrTruncated = errors.New("truncated (no end marker)")
	ErrLength    = errors.New("length mismatch")
	ErrChecksum  = errors.New("checksum mismatch")
	ErrHeader    = errors.New("malformed begin marker")
	ErrEncoding  = errors.New("cannot decode payload")
	ErrTooLarge  = errors.New("too large")
)

// Limits bound what DecodeLimits keeps of a console.
type Limits struct {
	// Line is the longest console line decoded. A longer line is skipped
	// (counted in Result.LongLines), except that a marker within its last
	// 4 KiB is still seen.
	Line int
	// Frame is the largest payload a frame may declare (len=) and the most
	// a gzip frame may expand to.
	Frame int
	// Total is the most all gzip frames of the console together may
	// expand to; the frames after it is used up fail with ErrTooLarge.
	Total int64
}

// DefaultLimits are Decode's: far above what the guest init sends (a few
// MiB in all), far below what hurts the host.
var DefaultLimits = Limits{Line: 1 << 20, Frame: 64 << 20, Total: 256 << 20}

// lineTail is how much of an over-long line is kept to look for a marker.
const lineTail = 4096

// Encode writes data as one frame named name. With compress the payload is
// gzip-compressed first. The whole frame is built in memory and written with
// one Write call per line.
func Encode(w io.Writer, name string, data []byte, compress bool) error {
	if name == "" || strings.ContainsAny(name, " \t\r\n=") {
		return fmt.Errorf("frame name %q: must be non-empty without spaces or '='", name)
	}
	enc := EncRaw
	payload := data
	if compress {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return fmt.Errorf("frame %s: %w", name, err)
		}
		if _, err := zw.Write(data); err != nil {
			return fmt.Errorf("frame %s: gzip: %w", name, err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("frame %s: gzip: %w", name, err)
		}
		enc = EncGzip
		payload = buf.Bytes()
	}
	sum := sha256.Sum256(payload)
	b64 := base64.StdEncoding.EncodeToString(payload)

	var out bytes.Buffer
	fmt.Fprintf(&out, "\n%s%s name=%s enc=%s len=%d sha256=%s%s\n",
		markerPrefix, beginWord, name, enc, len(payload), hex.EncodeToString(sum[:]), markerSuffix)
	for len(b64) > 0 {
		n := min(lineLen, len(b64))
		out.WriteByte(dataPrefix)
		out.WriteString(b64[:n])
		out.WriteByte('\n')
		b64 = b64[n:]
	}
	fmt.Fprintf(&out, "%s%s name=%s%s\n", markerPrefix, endWord, name, markerSuffix)
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("frame %s: write: %w", name, err)
	}
	return nil
}

// ExitLine returns the marker that ends a run with the given status.
func ExitLine(status int) string {
	return fmt.Sprintf("%s%s status=%d%s", markerPrefix, exitWord, status, markerSuffix)
}

// Frame is one decoded file.
type Frame struct {
	Name string
	// Data is the file content (decompressed).
	Data []byte
}

// FrameError is a frame that could not be recovered.
type FrameError struct {
	Name string
	Err  error
}

func (e *FrameError) Error() string { return fmt.Sprintf("frame %s: %v", e.Name, e.Err) }
func (e *FrameError) Unwrap() error { return e.Err }

// Result is everything recovered from a console stream.
type Result struct {
	// Frames in the order they were completed. A name seen twice keeps the
	// later frame.
	Frames []Frame
	// Errors for frames that were truncated or corrupted.
	Errors []*FrameError
	// ExitSeen reports whether the exit marker was seen; ExitStatus is its
	// value.
	ExitSeen   bool
	ExitStatus int
	// Noise counts non-empty console lines inside frames that were skipped.
	Noise int
	// LongLines counts console lines longer than Limits.Line, skipped.
	LongLines int

	// index maps a name to its position in Frames; dead counts the
	// frames replaced by a later one of the same name (Name "" until
	// Decode compacts Frames).
	index map[string]int
	dead  int
}

// Get returns the frame named name.
func (r *Result) Get(name string) (Frame, bool) {
	if r.index != nil {
		if i, ok := r.index[name]; ok && i < len(r.Frames) && r.Frames[i].Name == name {
			return r.Frames[i], true
		}
		return Frame{}, false
	}
	for i := len(r.Frames) - 1; i >= 0; i-- {
		if r.Frames[i].Name == name {
			return r.Frames[i], true
		}
	}
	return Frame{}, false
}

// Err joins the frame errors into one error, or returns nil.
func (r *Result) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	errs := make([]error, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = e
	}
	return errors.Join(errs...)
}

type header struct {
	name, enc string
	length    int
	sum       string
}

type open struct {
	hdr  header
	data strings.Builder
	bad  error
}

// Decode reads a whole console stream and recovers the frames in it, within
// DefaultLimits. Text outside frames is ignored. It returns an error only
// when reading r fails; problems with individual frames are in
// Result.Errors.
func Decode(r io.Reader) (*Result, error) { return DecodeLimits(r, DefaultLimits) }

// DecodeLimits is Decode within lim (a zero field is DefaultLimits').
func DecodeLimits(r io.Reader, lim Limits) (*Result, error) {
	if lim.Line <= 0 {
		lim.Line = DefaultLimits.Line
	}
	if lim.Frame <= 0 {
		lim.Frame = DefaultLimits.Frame
	}
	if lim.Total <= 0 {
		lim.Total = DefaultLimits.Total
	}
	d := &decoder{res: &Result{index: map[string]int{}}, lim: lim, budget: lim.Total}
	lr := lineReader{r: bufio.NewReaderSize(r, 64*1024), max: lim.Line}
	var rerr error
	for {
		raw, long, err := lr.next()
		if len(raw) > 0 || err == nil {
			d.line(string(raw), long)
		}
		if err != nil {
			if err != io.EOF {
				rerr = fmt.Errorf("reading console: %w", err)
			}
			break
		}
	}
	res := d.res
	if d.cur != nil {
		res.Errors = append(res.Errors, &FrameError{Name: d.cur.hdr.name, Err: ErrTruncated})
	}
	res.compact()
	return res, rerr
}

// decoder is DecodeLimits' state: the result so far, the open frame and
// what is left of the gzip budget.
type decoder struct {
	res    *Result
	lim    Limits
	cur    *open
	budget int64
}

// line handles one console line (without its newline); long says it was
// longer than the limit and only its tail is here.
func (d *decoder) line(line string, long bool) {
	res := d.res
	line = strings.TrimRight(line, "\r")
	if long {
		res.LongLines++
	}
	if i := strings.Index(line, markerPrefix); i >= 0 {
		word, attrs, ok := parseMarker(line[i:])
		if ok {
			switch word {
			case beginWord:
				if d.cur != nil {
					res.Errors = append(res.Errors, &FrameError{Name: d.cur.hdr.name, Err: ErrTruncated})
				}
				hdr, err := parseHeader(attrs)
				if err == nil && hdr.length > d.lim.Frame {
					err = fmt.Errorf("%w: len=%d, over the limit of %d bytes", ErrTooLarge, hdr.length, d.lim.Frame)
				}
				d.cur = &open{hdr: hdr, bad: err}
				return
			case endWord:
				if d.cur == nil {
					return
				}
				cur := d.cur
				d.cur = nil
				if name := attrs["name"]; name != cur.hdr.name {
					res.Errors = append(res.Errors, &FrameError{Name: cur.hdr.name,
						Err: fmt.Errorf("%w: end marker names %q", ErrTruncated, name)})
					return
				}
				f, err := d.finish(cur)
				if err != nil {
					res.Errors = append(res.Errors, &FrameError{Name: cur.hdr.name, Err: err})
				} else {
					res.add(f)
				}
				return
			case exitWord:
				if st, err := strconv.Atoi(attrs["status"]); err == nil {
					res.ExitSeen = true
					res.ExitStatus = st
				}
				return
			}
		}
	}
	cur := d.cur
	if cur == nil {
		return
	}
	if !long && len(line) > 0 && line[0] == dataPrefix {
		if cur.bad != nil {
			return
		}
		// More base64 than len= allows is a broken frame; keeping it
		// would let a frame that never ends grow without bound.
		if cur.data.Len()+len(line)-1 > base64.StdEncoding.EncodedLen(cur.hdr.length) {
			cur.bad = fmt.Errorf("%w: more data than the header's len=%d", ErrLength, cur.hdr.length)
			cur.data.Reset()
			return
		}
		cur.data.WriteString(line[1:])
	} else if strings.TrimSpace(line) != "" {
		res.Noise++
	}
}

// add records f; a frame of the same name seen before is replaced (its
// slot is cleared and dropped by compact), so that adding stays linear.
func (r *Result) add(f Frame) {
	if r.index == nil {
		r.index = map[string]int{}
	}
	if i, ok := r.index[f.Name]; ok {
		r.Frames[i] = Frame{}
		r.dead++
	}
	r.index[f.Name] = len(r.Frames)
	r.Frames = append(r.Frames, f)
}

// compact drops the replaced frames' slots.
func (r *Result) compact() {
	if r.dead == 0 {
		return
	}
	kept := r.Frames[:0]
	for _, f := range r.Frames {
		if f.Name != "" {
			r.index[f.Name] = len(kept)
			kept = append(kept, f)
		}
	}
	clear(r.Frames[len(kept):])
	r.Frames = kept
	r.dead = 0
}

// lineReader returns a stream's lines without their newline, at most max
// bytes each: of a longer line only the last lineTail bytes come back,
// with long set.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

func (lr *lineReader) next() (line []byte, long bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.buf = append(lr.buf, chunk...)
		if len(lr.buf) > lr.max {
			long = true
			keep := min(lineTail, lr.max)
			n := copy(lr.buf, lr.buf[len(lr.buf)-keep:])
			lr.buf = lr.buf[:n]
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return lr.buf, long, err
		}
		return bytes.TrimSuffix(lr.buf, []byte("\n")), long, nil
	}
}

// finish checks and decodes a complete frame, charging a gzip frame's
// expansion to the budget.
func (d *decoder) finish(o *open) (Frame, error) {
	if o.bad != nil {
		return Frame{}, o.bad
	}
	payload, err := base64.StdEncoding.DecodeString(o.data.String())
	if err != nil {
		return Frame{}, fmt.Errorf("%w: base64: %v", ErrEncoding, err)
	}
	if len(payload) != o.hdr.length {
		return Frame{}, fmt.Errorf("%w: got %d bytes, header says %d", ErrLength, len(payload), o.hdr.length)
	}
	sum := sha256.Sum256(payload)
	if got := hex.EncodeToString(sum[:]); got != o.hdr.sum {
		return Frame{}, fmt.Errorf("%w: got sha256 %s, header says %s", ErrChecksum, got, o.hdr.sum)
	}
	switch o.hdr.enc {
	case EncRaw:
	case EncGzip:
		zr, err := gzip.NewReader(bytes.NewReader(payload))
		if err != nil {
			return Frame{}, fmt.Errorf("%w: gzip: %v", ErrEncoding, err)
		}
		limit := min(int64(d.lim.Frame), d.budget)
		if limit <= 0 {
			return Frame{}, fmt.Errorf("%w: the console's gzip frames expand to more than %d bytes together", ErrTooLarge, d.lim.Total)
		}
		payload, err = io.ReadAll(io.LimitReader(zr, limit+1))
		d.budget -= int64(len(payload))
		switch {
		case err != nil:
			return Frame{}, fmt.Errorf("%w: gzip: %v", ErrEncoding, err)
		case int64(len(payload)) > limit && limit == int64(d.lim.Frame):
			return Frame{}, fmt.Errorf("%w: expands to more than %d bytes", ErrTooLarge, d.lim.Frame)
		case int64(len(payload)) > limit:
			return Frame{}, fmt.Errorf("%w: the console's gzip frames expand to more than %d bytes together", ErrTooLarge, d.lim.Total)
		}
	default:
		return Frame{}, fmt.Errorf("%w: unknown enc %q", ErrEncoding, o.hdr.enc)
	}
	return Frame{Name: o.hdr.name, Data: payload}, nil
}

// parseMarker splits "===KVMCONFORM-WORD k=v k=v===" (possibly followed by
// noise) into WORD and its attributes.
func parseMarker(s string) (word string, attrs map[string]string, ok bool) {
	s = strings.TrimPrefix(s, markerPrefix)
	end := strings.Index(s, markerSuffix)
	if end < 0 {
		return "", nil, false
	}
	fields := strings.Fields(s[:end])
	if len(fields) == 0 {
		return "", nil, false
	}
	attrs = make(map[string]string, len(fields)-1)
	for _, f := range fields[1:] {
		k, v, found := strings.Cut(f, "=")
		if !found {
			return "", nil, false
		}
		attrs[k] = v
	}
	return fields[0], attrs, true
}

func parseHeader(attrs map[string]string) (header, error) {
	h := header{name: attrs["name"], enc: attrs["enc"], sum: strings.ToLower(attrs["sha256"])}
	if h.name == "" {
		h.name = "?"
		return h, fmt.Errorf("%w: no name", ErrHeader)
	}
	if h.enc == "" {
		h.enc = EncRaw
	}
	n, err := strconv.Atoi(attrs["len"])
	if err != nil || n < 0 {
		return h, fmt.Errorf("%w: len=%q", ErrHeader, attrs["len"])
	}
	h.length = n
	if len(h.sum) != sha256.Size*2 {
		return h, fmt.Errorf("%w: sha256=%q", ErrHeader, attrs["sha256"])
	}
	return h, nil
}

// Names returns the names of the decoded frames, sorted.
func (r *Result) Names() []string {
	names := make([]string, 0, len(r.Frames))
	for _, f := range r.Frames {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}

// IsExitLine reports whether a console line carries the exit marker.
func IsExitLine(line string) bool {
	i := strings.Index(line, markerPrefix+exitWord+" ")
	if i < 0 {
		return false
	}
	word, attrs, ok := parseMarker(line[i:])
	if !ok || word != exitWord {
		return false
	}
	_, err := strconv.Atoi(attrs["status"])
	return err == nil
}
