package mqttbridge

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

func stdJSON(t *testing.T, v any) ([]byte, bool) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), true
}

var jsonCases = []struct {
	name string
	v    any
}{
	{"light state", map[string]any{"state": "ON", "brightness": int64(128), "color_temp": 370.0, "color_mode": "color_temp",
		"color": map[string]any{"x": 0.4599, "y": 0.4106, "hue": 30, "saturation": 75}, "linkquality": uint8(120)}},
	{"sensor", map[string]any{"temperature": 21.37, "humidity": 44.7, "battery": 92, "voltage": 2985, "action": nil}},
	{"floats", []any{0.0, math.Copysign(0, -1), 1e-7, 1e-6, 123456789.0, 1e21, 1e20, 3.4e38, float32(0.1), float32(1e-7), -2.5e-10}},
	{"ints", []any{int8(-1), int16(300), int32(-70000), uint16(65535), uint32(4e9), uint64(math.MaxUint64), int64(math.MinInt64)}},
	{"strings", []any{"", `a"b\c`, "tab\tnl\ncr\rbs\bff\f", "\x00\x1f\x7f", "<&>", "é日本", "\u2028\u2029", "bad\xffutf8", "x\xe2\x80"}},
	{"nested", map[string]any{"a": []any{map[string]any{"z": true, "b": false}}, "nil map": map[string]any(nil), "nil slice": []any(nil)}},
	{"many keys", map[string]any{"k01": 1, "k02": 2, "k03": 3, "k04": 4, "k05": 5, "k06": 6, "k07": 7, "k08": 8, "k09": 9, "k10": 10,
		"k11": 11, "k12": 12, "k13": 13, "k14": 14, "k15": 15, "k16": 16, "k17": 17, "k18": 18}},
}

func TestAppendJSON(t *testing.T) {
	for _, tt := range jsonCases {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := stdJSON(t, tt.v)
			got, ok := appendJSON(nil, tt.v)
			if !ok || !bytes.Equal(got, want) {
				t.Fatalf("appendJSON = %s (%v)\nencoding/json = %s", got, ok, want)
			}
		})
	}
	for _, v := range []any{math.NaN(), math.Inf(1), struct{}{}, map[string]int{"a": 1}, []string{"x"}} {
		if _, ok := appendJSON(nil, v); ok {
			t.Errorf("appendJSON(%#v) claims to encode it", v)
		}
	}
}

// FuzzAppendJSON: for any JSON document, decoding it (the values MQTT and
// the hub's state hold) and encoding it with appendJSON gives exactly
// what encoding/json gives.
func FuzzAppendJSON(f *testing.F) {
	for _, tt := range jsonCases {
		b, _ := json.Marshal(tt.v)
		f.Add(string(b))
	}
	f.Add(`{"a":"\u2028\ud800","b":1e400}`)
	f.Add(`"\u0000\\\"/"`)
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			// Not JSON: still try the raw string as a string value.
			v = doc
		}
		want, okStd := stdJSON(t, v)
		got, ok := appendJSON(nil, v)
		if ok != okStd {
			t.Fatalf("appendJSON ok=%v, encoding/json ok=%v for %#v", ok, okStd, v)
		}
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("appendJSON = %s\nencoding/json = %s", got, want)
		}
	})
}
