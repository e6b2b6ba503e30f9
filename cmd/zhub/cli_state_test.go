package main

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAssignments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want map[string]any
		err  string // substring of the usage error; "" = success
	}{
		{"strings", []string{"state=ON"}, map[string]any{"state": "ON"}, ""},
		{"number", []string{"brightness=127"}, map[string]any{"brightness": float64(127)}, ""},
		{"percent brightness", []string{"state=ON", "brightness=50%"}, map[string]any{"state": "ON", "brightness_percent": float64(50)}, ""},
		{"fractional percent", []string{"brightness=12.5%"}, map[string]any{"brightness_percent": 12.5}, ""},
		{"bool", []string{"child_lock=true"}, map[string]any{"child_lock": true}, ""},
		{"object value", []string{`color={"x":0.3,"y":0.31}`}, map[string]any{"color": map[string]any{"x": 0.3, "y": 0.31}}, ""},
		{"hex colour stays a string", []string{"color=#ff8800"}, map[string]any{"color": "#ff8800"}, ""},
		{"quoted string", []string{`effect="blink"`}, map[string]any{"effect": "blink"}, ""},
		{"value with equals", []string{"name=a=b"}, map[string]any{"name": "a=b"}, ""},
		{"value with spaces kept", []string{"text= hello "}, map[string]any{"text": " hello "}, ""},
		{"json object", []string{`{"state":"ON","brightness":30}`}, map[string]any{"state": "ON", "brightness": float64(30)}, ""},
		{"json object with spaces", []string{`  {"state":"OFF"} `}, map[string]any{"state": "OFF"}, ""},
		{"percent on another key is the device's to judge", []string{"position=50%"}, map[string]any{"position": "50%"}, ""},

		{"no equals", []string{"state"}, nil, "not key=value"},
		{"empty key", []string{"=ON"}, nil, "not key=value"},
		{"empty value", []string{"state="}, nil, "has no value"},
		{"duplicate", []string{"state=ON", "state=OFF"}, nil, "given twice"},
		{"duplicate through percent", []string{"brightness_percent=5", "brightness=5%"}, nil, "given twice"},
		{"bad percent", []string{"brightness=lots%"}, nil, "not a percentage"},
		{"broken json", []string{`{"state":`}, nil, "invalid JSON"},
		{"json then more", []string{`{"state":"ON"}`, "brightness=3"}, nil, "not both"},
		{"json with trailing text", []string{`{"state":"ON"} x`}, nil, "after the closing brace"},
		{"empty json", []string{`{}`}, nil, "empty"},
		{"empty key in json", []string{`{"":0}`}, nil, "property name is empty"},
		{"nothing", nil, nil, "nothing to set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAssignments(tc.args)
			if tc.err != "" {
				ue, ok := errors.AsType[*usageError](err)
				if !ok || !strings.Contains(ue.msg, tc.err) {
					t.Fatalf("error %v, want a usage error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// FuzzParseAssignments: no input panics; a success is a non-empty payload
// with non-empty keys that encodes as JSON.
func FuzzParseAssignments(f *testing.F) {
	for _, s := range []string{"state=ON\x00brightness=50%", `{"a":1}`, "color={\"x\":1}", "=", "a=", "brightness=%", "x=[1,2", "a=b\x00a=c", "{", `{"":0}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		m, err := parseAssignments(args)
		if err != nil {
			if _, ok := errors.AsType[*usageError](err); !ok {
				t.Fatalf("non-usage error %v", err)
			}
			return
		}
		if len(m) == 0 {
			t.Fatal("success with an empty payload")
		}
		for k := range m {
			if k == "" {
				t.Fatal("empty key")
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("payload does not encode: %v", err)
		}
	})
}
