package znp

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// vectorDir is the shared ZNP vector directory, relative to this package
// (the repository and shared/ are siblings, locally and in CI).
const vectorDir = "../../../shared/protocol/vectors/znp"

// vector is one entry of the shared JSON files (schema in vectorDir/README.md).
type vector struct {
	file      string
	Name      string         `json:"name"`
	Hex       string         `json:"hex"`
	Type      string         `json:"type"`
	Subsystem string         `json:"subsystem"`
	Cmd       string         `json:"cmd"`
	Cmd0      string         `json:"cmd0"`
	Command   string         `json:"command"`
	Fields    map[string]any `json:"fields"`
	Expect    *struct {
		Frames   int      `json:"frames"`
		FrameHex []string `json:"frame_hex"`
		Error    string   `json:"error"`
	} `json:"expect"`
}

func (v vector) bytes(t testing.TB) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(v.Hex, "|", ""))
	if err != nil {
		t.Fatalf("%s: bad hex: %v", v.Name, err)
	}
	return b
}

// loadVectors reads every JSON file of the shared vectors. A missing
// directory fails the test: the vectors are the ground truth.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors in %s (err %v): the shared/ directory must be a sibling of the repository", vectorDir, err)
	}
	var all []vector
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var vs []vector
		if err := json.Unmarshal(data, &vs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range vs {
			vs[i].file = filepath.Base(f)
		}
		all = append(all, vs...)
	}
	return all
}

// annotations are keys of a vector's fields that are not wire fields but
// further decodings of one (the NIB inside an NV read).
var annotations = map[string]bool{"nib": true}

func TestVectorFrames(t *testing.T) {
	vs := loadVectors(t)
	n := 0
	for _, v := range vs {
		if v.Type == "INVALID" || v.Type == "STREAM" {
			continue
		}
		n++
		t.Run(v.file+"/"+v.Name, func(t *testing.T) {
			raw := v.bytes(t)
			f, err := ParseFrame(raw)
			if err != nil {
				t.Fatalf("ParseFrame: %v", err)
			}
			if got := fmt.Sprintf("0x%02X", f.ID); !strings.EqualFold(got, v.Cmd) {
				t.Errorf("CMD1 %s, vector says %s", got, v.Cmd)
			}
			if got := fmt.Sprintf("0x%02X", f.Cmd0()); !strings.EqualFold(got, v.Cmd0) {
				t.Errorf("CMD0 %s, vector says %s", got, v.Cmd0)
			}
			if f.Type.String() != v.Type || f.Subsystem.String() != v.Subsystem {
				t.Errorf("header %v, vector says %s %s", f.Header, v.Type, v.Subsystem)
			}
			c, p, err := Decode(f)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if c.Name != v.Command {
				t.Errorf("command %s, vector says %s", c.Name, v.Command)
			}
			fs, _ := c.Schema(f.Type)
			got := toJSON(fs, p)
			compareJSON(t, "fields", v.Fields, got)

			// Re-encoding the decoded parameters gives the same bytes.
			re, err := c.Encode(f.Type, p)
			if err != nil {
				t.Fatalf("Encode(decoded): %v", err)
			}
			if b, _ := AppendFrame(nil, re); !bytes.Equal(b, raw) {
				t.Errorf("re-encoded\n got %X\nwant %X", b, raw)
			}

			// Encoding the vector's own fields gives the same bytes too.
			jp, err := fromJSON(fs, v.Fields)
			if err != nil {
				t.Fatalf("fields from JSON: %v", err)
			}
			fj, err := c.Encode(f.Type, jp)
			if err != nil {
				t.Fatalf("Encode(JSON fields): %v", err)
			}
			if b, _ := AppendFrame(nil, fj); !bytes.Equal(b, raw) {
				t.Errorf("encoded from JSON fields\n got %X\nwant %X", b, raw)
			}
		})
	}
	if n < 200 {
		t.Errorf("only %d frame vectors", n)
	}
}

func TestVectorInvalid(t *testing.T) {
	sentinels := map[string]error{
		"fcs": ErrBadFCS, "incomplete": ErrIncomplete, "length": ErrFrameTooLong, "not-a-frame": ErrNoSOF,
	}
	n := 0
	for _, v := range loadVectors(t) {
		if v.Type != "INVALID" {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			want, ok := sentinels[v.Expect.Error]
			if !ok {
				t.Fatalf("unknown expected error %q", v.Expect.Error)
			}
			raw := v.bytes(t)
			_, err := ParseFrame(raw)
			if !errors.Is(err, want) {
				t.Errorf("ParseFrame error %v, want %v", err, want)
			}
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FrameError", err)
			}
			frames, _ := scanAll(t, bytes.NewReader(raw))
			if len(frames) != v.Expect.Frames {
				t.Errorf("SplitFrames gave %d frames, want %d", len(frames), v.Expect.Frames)
			}
		})
	}
	if n == 0 {
		t.Fatal("no INVALID vectors")
	}
}

// chunkReader returns one chunk per Read call.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	if n == len(r.chunks[0]) {
		r.chunks = r.chunks[1:]
	} else {
		r.chunks[0] = r.chunks[0][n:]
	}
	return n, nil
}

func scanAll(t testing.TB, r io.Reader) ([][]byte, *Splitter) {
	t.Helper()
	var s Splitter
	sc := bufio.NewScanner(r)
	sc.Split(s.Split)
	var frames [][]byte
	for sc.Scan() {
		frames = append(frames, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scanner: %v", err)
	}
	return frames, &s
}

func TestVectorStreams(t *testing.T) {
	n := 0
	for _, v := range loadVectors(t) {
		if v.Type != "STREAM" {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			var chunks [][]byte
			total := 0
			for _, part := range strings.Split(v.Hex, "|") {
				b, err := hex.DecodeString(part)
				if err != nil {
					t.Fatal(err)
				}
				chunks = append(chunks, b)
				total += len(b)
			}
			readers := map[string]func() io.Reader{
				"reads": func() io.Reader { return &chunkReader{chunks: append([][]byte(nil), chunks...)} },
				"one-byte": func() io.Reader {
					return iotest.OneByteReader(&chunkReader{chunks: append([][]byte(nil), chunks...)})
				},
			}
			for name, mk := range readers {
				frames, s := scanAll(t, mk())
				if len(frames) != v.Expect.Frames {
					t.Fatalf("%s: %d frames, want %d", name, len(frames), v.Expect.Frames)
				}
				used := 0
				for i, f := range frames {
					used += len(f)
					if i < len(v.Expect.FrameHex) && !strings.EqualFold(hex.EncodeToString(f), v.Expect.FrameHex[i]) {
						t.Errorf("%s: frame %d = %X, want %s", name, i, f, v.Expect.FrameHex[i])
					}
					if _, err := ParseFrame(f); err != nil {
						t.Errorf("%s: frame %d: %v", name, i, err)
					}
				}
				if s.Garbage != uint64(total-used) {
					t.Errorf("%s: Garbage=%d, want %d", name, s.Garbage, total-used)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no STREAM vectors")
	}
}

// toJSON renders decoded parameters the way the vectors write them.
func toJSON(fs []Field, p Params) map[string]any {
	out := map[string]any{}
	for i := range fs {
		f := &fs[i]
		if f.Kind == KindBits {
			for _, b := range f.Bits {
				if v, ok := p[b.Name]; ok {
					out[b.Name] = float64(v.(uint8))
				}
			}
			continue
		}
		v, ok := p[f.Name]
		if !ok || (f.If != nil && !f.If(p)) {
			continue
		}
		out[f.Name] = jsonValue(f, v, p)
		if f.Kind == KindOmittable {
			out[f.Flag] = p[f.Flag]
		}
	}
	return out
}

func jsonValue(f *Field, v any, p Params) any {
	switch x := v.(type) {
	case uint8, uint16, uint32:
		u, _ := toUint(x)
		if f.Display == DisplayHex {
			return fmt.Sprintf("0x%0*x", 2*f.fixedSize(), u)
		}
		return float64(u)
	case int8:
		return float64(x)
	case uint64:
		if f.Kind == KindAddr && p.uint(f.Ref) != 3 && x <= 0xFFFF {
			return fmt.Sprintf("0x%04x", x)
		}
		return fmt.Sprintf("0x%016x", x)
	case []byte:
		if f.Kind != KindU8List {
			return hex.EncodeToString(x)
		}
		l := []any{}
		for _, e := range x {
			l = append(l, float64(e))
		}
		return l
	case []uint16:
		l := []any{}
		for _, e := range x {
			l = append(l, fmt.Sprintf("0x%04x", e))
		}
		return l
	case Params:
		return toJSON(f.Fields, x)
	case []Params:
		l := []any{}
		for _, e := range x {
			l = append(l, toJSON(f.Fields, e))
		}
		return l
	}
	return fmt.Sprintf("unexpected %T", v)
}

// compareJSON checks that got has every key of want with an equal value,
// and that any key of got missing from want is a zero value (reserved bits,
// a false flag).
func compareJSON(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %#v, want an object", path, got)
			return
		}
		for k, wv := range w {
			if annotations[k] {
				continue
			}
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: missing, want %v", path, k, wv)
				continue
			}
			compareJSON(t, path+"."+k, wv, gv)
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok && gv != float64(0) && gv != false {
				t.Errorf("%s.%s: decoded %v, not in the vector", path, k, gv)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %#v, want %#v", path, got, want)
			return
		}
		for i := range w {
			compareJSON(t, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	case string:
		if g, ok := got.(string); !ok || !strings.EqualFold(g, w) {
			t.Errorf("%s: got %#v, want %q", path, got, w)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: got %#v, want %#v", path, got, want)
		}
	}
}

// fromJSON builds Params from a vector's fields, driven by the schema.
func fromJSON(fs []Field, m map[string]any) (Params, error) {
	p := Params{}
	for i := range fs {
		f := &fs[i]
		if f.Kind == KindBits {
			for _, b := range f.Bits {
				if v, ok := m[b.Name].(float64); ok {
					p[b.Name] = uint8(v)
				}
			}
			continue
		}
		if f.If != nil && !f.If(p) {
			continue
		}
		jv, ok := m[f.Name]
		if !ok {
			continue
		}
		v, err := paramFromJSON(f, jv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		p[f.Name] = v
	}
	return p, nil
}

func jsonUint(v any) (uint64, error) {
	switch x := v.(type) {
	case float64:
		return uint64(x), nil
	case string:
		return strconv.ParseUint(strings.TrimPrefix(strings.ToLower(x), "0x"), 16, 64)
	}
	return 0, fmt.Errorf("not a number: %#v", v)
}

func paramFromJSON(f *Field, v any) (any, error) {
	switch f.Kind {
	case KindU8, KindU16, KindU32, KindIEEE, KindAddr:
		u, err := jsonUint(v)
		switch f.Kind {
		case KindU8:
			return uint8(u), err
		case KindU16:
			return uint16(u), err
		case KindU32:
			return uint32(u), err
		}
		return u, err
	case KindI8:
		x, _ := v.(float64)
		return int8(x), nil
	case KindBytes, KindRest, KindOmittable:
		s, _ := v.(string)
		return hex.DecodeString(s)
	case KindU8List, KindU16List:
		l, _ := v.([]any)
		var u8s []uint8
		var u16s []uint16
		for _, e := range l {
			u, err := jsonUint(e)
			if err != nil {
				return nil, err
			}
			u8s, u16s = append(u8s, uint8(u)), append(u16s, uint16(u))
		}
		if f.Kind == KindU8List {
			return u8s, nil
		}
		return u16s, nil
	case KindStruct:
		m, _ := v.(map[string]any)
		return fromJSON(f.Fields, m)
	case KindStructList:
		l, _ := v.([]any)
		out := []Params{}
		for _, e := range l {
			m, _ := e.(map[string]any)
			s, err := fromJSON(f.Fields, m)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("kind %v", f.Kind)
}
