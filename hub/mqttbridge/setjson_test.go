package mqttbridge

import (
	"reflect"
	"testing"
)

// flatCases seed FuzzDecodeFlatObject; want is whether the fast path
// takes the payload (the others go to encoding/json).
var flatCases = []struct {
	name    string
	payload string
	want    bool
}{
	{"brightness", `{"brightness":120}`, true},
	{"state and transition", ` { "state" : "ON" , "transition" : 1.5 }` + "\n", true},
	{"every kind", `{"a":true,"b":false,"c":null,"d":-0,"e":1e3,"f":-12.5E-2,"g":""}`, true},
	{"big integer", `{"n":12345678901234567890}`, true},
	{"duplicate key", `{"state":"ON","state":"OFF"}`, true},
	{"empty", `{}`, true},
	{"nested colour", `{"color":{"x":0.3,"y":0.4}}`, false},
	{"escape", `{"state":"O\u004e"}`, false},
	{"non-ASCII", `{"name":"é"}`, false},
	{"leading zero", `{"n":01}`, false},
	{"bare dot", `{"n":.5}`, false},
	{"huge exponent", `{"n":1e400}`, false},
	{"trailing data", `{"a":1} {}`, false},
	{"trailing comma", `{"a":1,}`, false},
	{"unterminated", `{"a":1`, false},
	{"array", `{"a":[1]}`, false},
	{"not an object", `[1]`, false},
	{"truex", `{"a":truex}`, false},
}

func TestDecodeFlatObject(t *testing.T) {
	for _, tc := range flatCases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodeFlatObject([]byte(tc.payload))
			if ok != tc.want {
				t.Fatalf("fast path took it = %v, want %v", ok, tc.want)
			}
			if !ok {
				return
			}
			want, err := decodeObjectJSON([]byte(tc.payload))
			if err != nil {
				t.Fatalf("encoding/json rejects what the fast path took: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("fast path %#v, encoding/json %#v", got, want)
			}
		})
	}
}

// FuzzDecodeFlatObject: whatever the fast path takes, encoding/json
// decodes to the same values (and never rejects).
func FuzzDecodeFlatObject(f *testing.F) {
	for _, tc := range flatCases {
		f.Add(tc.payload)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		got, ok := decodeFlatObject([]byte(payload))
		if !ok {
			return
		}
		want, err := decodeObjectJSON([]byte(payload))
		if err != nil {
			t.Fatalf("%q: fast path took what encoding/json rejects: %v", payload, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast path %#v, encoding/json %#v", payload, got, want)
		}
	})
}
