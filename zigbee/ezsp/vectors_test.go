package ezsp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const vectorDir = "../../../shared/protocol/vectors/ezsp"

type frameVector struct {
	Name         string         `json:"name"`
	Version      *uint8         `json:"ezsp_version"`
	Hex          string         `json:"hex"`
	Seq          uint8          `json:"seq"`
	FrameID      uint16         `json:"frame_id"`
	HeaderFormat string         `json:"header_format"`
	IsResponse   bool           `json:"is_response"`
	IsCallback   bool           `json:"is_callback"`
	Fields       map[string]any `json:"fields"`
}

func loadFrameVectors(t testing.TB) []frameVector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorDir, "ezsp_frames.json"))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var doc struct {
		Vectors []frameVector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Vectors
}

func (v frameVector) format() Format {
	switch {
	case strings.HasPrefix(v.HeaderFormat, "legacy-extended"):
		return FormatLegacyExt
	case strings.HasPrefix(v.HeaderFormat, "legacy"):
		return FormatLegacy
	}
	return FormatExtended
}

// version is the vector's protocol version; captures that do not state it
// use the layouts of their header generation.
func (v frameVector) version() uint8 {
	if v.Version != nil {
		return *v.Version
	}
	switch v.format() {
	case FormatLegacyExt:
		return 7
	case FormatLegacy:
		return 4
	}
	return 13
}

func TestFrameVectors(t *testing.T) {
	vs := loadFrameVectors(t)
	if len(vs) < 90 {
		t.Fatalf("only %d EZSP vectors", len(vs))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			b, err := hex.DecodeString(v.Hex)
			if err != nil {
				t.Fatal(err)
			}
			if got := DetectFormat(b); got != v.format() {
				t.Errorf("DetectFormat = %v, want %v", got, v.format())
			}
			f, err := ParseFrame(b, v.format())
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if f.Seq != v.Seq || f.ID != v.FrameID || f.IsResponse() != v.IsResponse || f.IsCallback() != v.IsCallback {
				t.Errorf("header seq %d id 0x%04X rsp %v cb %v; want %d 0x%04X %v %v",
					f.Seq, f.ID, f.IsResponse(), f.IsCallback(), v.Seq, v.FrameID, v.IsResponse, v.IsCallback)
			}
			c, p, err := Decode(f, v.version())
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := compareFields(v.Fields, p, ""); err != nil {
				t.Errorf("%s: %v\nparams: %v", c.Name, err, p)
			}
			params, err := EncodeParams(nil, c, f.IsResponse(), p, v.version())
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			f.Params = params
			out, err := AppendFrame(nil, f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b) {
				t.Errorf("re-encoded %X\nwant         %X", out, b)
			}
			if _, err := FormatFrame(f, v.version()); err != nil {
				t.Errorf("format: %v", err)
			}
		})
	}
}

// compareFields checks every number, byte string, address and list the
// vector states against the decoded parameters. Descriptive strings
// (names, notes) are skipped.
func compareFields(want map[string]any, p Params, path string) error {
	for k, w := range want {
		if strings.HasSuffix(k, "_name") || strings.HasSuffix(k, "_text") || strings.HasSuffix(k, "_display") ||
			k == "zcl" || k == "zdo" || k == "note" || k == "bits" || k == "status_type" {
			continue
		}
		if k == "trailing_hex" || k == "extra_trailing_byte_hex" {
			if got := hex.EncodeToString(p.Bytes(TrailingKey)); got != w {
				return fmt.Errorf("%strailing = %s, want %v", path, got, w)
			}
			continue
		}
		base := k
		for _, s := range []string{"_u8", "_u16", "_u32", "_hex", "_ms", "_wire", "_len"} {
			base = strings.TrimSuffix(base, s)
		}
		got, ok := p[base]
		if !ok && strings.HasSuffix(base, "Length") {
			if b, isBytes := p[strings.TrimSuffix(base, "Length")].([]byte); isBytes {
				got, ok = uint64(len(b)), true
			}
		}
		if !ok {
			if pre, field, cut := strings.Cut(base, "_"); cut {
				if s := p.Struct(pre); s != nil {
					got, ok = s[field], s[field] != nil
				}
			}
		}
		if b, isBytes := got.([]byte); isBytes && strings.HasSuffix(k, "_len") {
			got = uint64(len(b))
		}
		if !ok {
			if _, descriptive := w.(string); descriptive {
				continue
			}
			return fmt.Errorf("%s%s: not decoded", path, k)
		}
		if err := compareValue(k, w, got, path+base+"."); err != nil {
			return fmt.Errorf("%s%s: %w", path, k, err)
		}
	}
	return nil
}

func compareValue(k string, w, got any, path string) error {
	switch x := w.(type) {
	case float64:
		var n int64
		switch g := got.(type) {
		case int8:
			n = int64(g)
		case []byte:
			var buf [8]byte
			copy(buf[:], g)
			n = int64(binary.LittleEndian.Uint64(buf[:]))
		default:
			u, isNum := toUint(g)
			if !isNum {
				return fmt.Errorf("got %T, want a number", got)
			}
			n = int64(u)
		}
		if n != int64(x) {
			return fmt.Errorf("got %d, want %v", n, x)
		}
	case string:
		switch g := got.(type) {
		case []byte:
			if strings.HasSuffix(k, "_hex") && hex.EncodeToString(g) != x {
				return fmt.Errorf("got %x, want %s", g, x)
			}
		case uint64:
			if strings.HasSuffix(k, "_wire") {
				var buf [8]byte
				binary.LittleEndian.PutUint64(buf[:], g)
				if hex.EncodeToString(buf[:]) != x {
					return fmt.Errorf("got wire %x, want %s", buf, x)
				}
			} else if strings.Count(x, ":") == 7 {
				if s := fmt.Sprintf("%016x", g); s != strings.ReplaceAll(x, ":", "") {
					return fmt.Errorf("got %s, want %s", s, x)
				}
			}
		}
	case map[string]any:
		if s, isStruct := got.(Params); isStruct {
			return compareFields(x, s, path)
		}
	case []any:
		l, isList := got.([]uint16)
		if !isList || len(l) != len(x) {
			return fmt.Errorf("got %v, want %v", got, x)
		}
		for i := range l {
			if float64(l[i]) != x[i].(float64) {
				return fmt.Errorf("got %v, want %v", l, x)
			}
		}
	}
	return nil
}

// TestASHVectorsCarryDecodableEZSP decodes the EZSP frame inside every
// ASH DATA vector.
func TestASHVectorsCarryDecodableEZSP(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectorDir, "ash_frames.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []struct {
			Name    string  `json:"name"`
			EZSP    *string `json:"decoded_ezsp_hex"`
			Version *uint8  `json:"ezsp_version"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, v := range doc.Vectors {
		if v.EZSP == nil || v.Version != nil && *v.Version < 4 {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			b, _ := hex.DecodeString(*v.EZSP)
			format := DetectFormat(b)
			ver := uint8(13)
			switch {
			case v.Version != nil:
				ver = *v.Version
			case format == FormatLegacyExt:
				ver = 7
			case format == FormatLegacy:
				ver = 4
			}
			f, err := ParseFrame(b, format)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := FormatFrame(f, ver); err != nil {
				t.Fatalf("v%d: %v", ver, err)
			}
		})
	}
}
