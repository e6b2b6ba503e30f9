package ezsp

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// FuzzDecode feeds arbitrary EZSP frames to the header parser and every
// command decoder of every layout generation: nothing panics, and whatever
// decodes re-encodes to the same parameter bytes.
func FuzzDecode(f *testing.F) {
	for _, v := range loadFrameVectors(f) {
		b, _ := hex.DecodeString(v.Hex)
		f.Add(b, v.version())
	}
	f.Fuzz(func(t *testing.T, b []byte, v uint8) {
		for _, format := range []Format{FormatLegacy, FormatLegacyExt, FormatExtended, DetectFormat(b)} {
			fr, err := ParseFrame(b, format)
			if err != nil {
				continue
			}
			out, err := AppendFrame(nil, fr)
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("header round trip: %X → %X, %v", b, out, err)
			}
			c, p, err := Decode(fr, v)
			if err != nil {
				continue
			}
			params, err := EncodeParams(nil, c, fr.IsResponse(), p, v)
			if err != nil {
				t.Fatalf("%s v%d: re-encode: %v", c.Name, v, err)
			}
			if !bytes.Equal(params, fr.Params) {
				t.Fatalf("%s v%d: params %X re-encode to %X", c.Name, v, fr.Params, params)
			}
			if _, err := FormatFrame(fr, v); err != nil {
				t.Fatalf("format: %v", err)
			}
		}
	})
}

// FuzzDecodeTrace checks that the trace decoder never panics.
func FuzzDecodeTrace(f *testing.F) {
	f.Add("> 004221a8597c057e\n< 0142a1a8592805c6a8777e\n")
	f.Add("1764080000123456 < 1a9001190015000000\n# x\n")
	f.Fuzz(func(t *testing.T, s string) {
		var out bytes.Buffer
		_ = DecodeTrace(bytes.NewBufferString(s), &out)
	})
}
