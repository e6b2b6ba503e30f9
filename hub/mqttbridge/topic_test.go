package mqttbridge

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var topicCases = []struct {
	name  string
	topic string
	want  Topic
}{
	{"set", "zhub/kitchen_light/set", Topic{Kind: TopicSet, Target: "kitchen_light"}},
	{"get", "zhub/kitchen_light/get", Topic{Kind: TopicGet, Target: "kitchen_light"}},
	{"set property", "zhub/kitchen_light/set/brightness", Topic{Kind: TopicSet, Target: "kitchen_light", Property: "brightness"}},
	{"get property", "zhub/lamp/get/state", Topic{Kind: TopicGet, Target: "lamp", Property: "state"}},
	{"folder name", "zhub/kitchen/floor_light/set", Topic{Kind: TopicSet, Target: "kitchen/floor_light"}},
	{"endpoint", "zhub/plug/l2/set", Topic{Kind: TopicSet, Target: "plug/l2"}},
	{"endpoint property", "zhub/plug/l2/set/state", Topic{Kind: TopicSet, Target: "plug/l2", Property: "state"}},
	{"first set wins", "zhub/a/set/b/set", Topic{Kind: TopicSet, Target: "a", Property: "b/set"}},
	{"ieee name", "zhub/0x00124b00a1c00007/set", Topic{Kind: TopicSet, Target: "0x00124b00a1c00007"}},
	{"name contains set", "zhub/settings_light/set", Topic{Kind: TopicSet, Target: "settings_light"}},
	{"request", "zhub/bridge/request/permit_join", Topic{Kind: TopicRequest, Request: "permit_join"}},
	{"nested request", "zhub/bridge/request/device/rename", Topic{Kind: TopicRequest, Request: "device/rename"}},
	{"bridge response is ours", "zhub/bridge/response/permit_join", Topic{}},
	{"bridge state", "zhub/bridge/state", Topic{}},
	{"bridge-prefixed name", "zhub/bridge_light/set", Topic{}},
	{"state topic", "zhub/kitchen_light", Topic{}},
	{"availability", "zhub/kitchen_light/availability", Topic{}},
	{"other base", "zigbee2mqtt/kitchen_light/set", Topic{}},
	{"base prefix only", "zhubx/kitchen_light/set", Topic{}},
	{"no name", "zhub/set", Topic{}},
	{"empty name", "zhub//set", Topic{}},
	{"trailing slash after set", "zhub/lamp/set/", Topic{}},
	{"setx is not set", "zhub/lamp/setx", Topic{}},
	{"empty request", "zhub/bridge/request/", Topic{}},
}

func TestParseTopic(t *testing.T) {
	for _, tt := range topicCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseTopic("zhub", tt.topic); got != tt.want {
				t.Fatalf("ParseTopic(%q) = %+v, want %+v", tt.topic, got, tt.want)
			}
		})
	}
}

func TestParseSetPayload(t *testing.T) {
	tests := []struct {
		name     string
		property string
		payload  string
		want     map[string]any
		wantErr  bool
	}{
		{"object", "", `{"state":"ON","brightness":128}`, map[string]any{"state": "ON", "brightness": int64(128)}, false},
		{"float", "", `{"transition":0.5}`, map[string]any{"transition": 0.5}, false},
		{"nested colour", "", `{"color":{"x":0.3,"y":0.4}}`, map[string]any{"color": map[string]any{"x": 0.3, "y": 0.4}}, false},
		{"spaces", "", "  {\"state\":\"OFF\"}\n", map[string]any{"state": "OFF"}, false},
		{"bare on", "", "on", map[string]any{"state": "ON"}, false},
		{"bare OPEN", "", "OPEN", map[string]any{"state": "OPEN"}, false},
		{"bare Lock", "", "Lock", map[string]any{"state": "LOCK"}, false},
		{"bare toggle", "", "toggle", map[string]any{"state": "TOGGLE"}, false},
		{"property number", "brightness", "128", map[string]any{"brightness": int64(128)}, false},
		{"property text", "state", "ON", map[string]any{"state": "ON"}, false},
		{"property json string", "effect", `"blink"`, map[string]any{"effect": "blink"}, false},
		{"property object", "color", `{"hex":"#547CFF"}`, map[string]any{"color": map[string]any{"hex": "#547CFF"}}, false},
		{"property bool", "child_lock", "true", map[string]any{"child_lock": true}, false},
		{"property empty", "state", "", map[string]any{"state": ""}, false},
		{"bad json", "", `{"state":`, nil, true},
		{"trailing data", "", `{"state":"ON"} x`, nil, true},
		{"empty object", "", `{}`, nil, true},
		{"unknown word", "", "dim", nil, true},
		{"array", "", `["ON"]`, nil, true},
		{"number", "", `42`, nil, true},
		{"empty", "", ``, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSetPayload(tt.property, []byte(tt.payload))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidPayload) {
					t.Fatalf("error %v does not wrap ErrInvalidPayload", err)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseGetPayload(t *testing.T) {
	tests := []struct {
		name, property, payload string
		want                    []string
		wantErr                 bool
	}{
		{"object", "", `{"state":"","brightness":""}`, []string{"brightness", "state"}, false},
		{"property", "brightness", "", []string{"brightness"}, false},
		{"empty", "", "", []string{"state"}, false},
		{"empty json string", "", `""`, []string{"state"}, false},
		{"bad", "", "{", nil, true},
		{"empty object", "", "{}", nil, true},
		{"word", "", "state", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGetPayload(tt.property, []byte(tt.payload))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name        string
		payload     string
		object      bool
		bare        any
		transaction any
	}{
		{"object with transaction", `{"time":180,"transaction":"t1"}`, true, nil, "t1"},
		{"numeric transaction", `{"id":"lamp","transaction":42}`, true, nil, int64(42)},
		{"object", `{"id":"lamp"}`, true, nil, nil},
		{"empty string", `""`, false, "", nil},
		{"empty", ``, false, "", nil},
		{"bare number", `180`, false, int64(180), nil},
		{"bare json string", `"lamp"`, false, "lamp", nil},
		{"bare text", `lamp`, false, "lamp", nil},
		{"broken object is text", `{"id":`, false, `{"id":`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ParseRequest([]byte(tt.payload))
			if (r.Object != nil) != tt.object {
				t.Fatalf("object = %v, want %v", r.Object, tt.object)
			}
			if !tt.object && !reflect.DeepEqual(r.Bare, tt.bare) {
				t.Fatalf("bare = %#v, want %#v", r.Bare, tt.bare)
			}
			if !reflect.DeepEqual(r.Transaction, tt.transaction) {
				t.Fatalf("transaction = %#v, want %#v", r.Transaction, tt.transaction)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"kitchen_light", true},
		{"kitchen/floor_light", true},
		{"0x00124b00a1c00007", true},
		{"Living Room Lamp", true},
		{"", false},
		{"a+b", false},
		{"a#", false},
		{"/lamp", false},
		{"lamp/", false},
		{"a//b", false},
		{"bridge", false},
		{"bridge/x", false},
		{"lamp/set", false},
		{"get/lamp", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidName(tt.name)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidName(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
}

// FuzzParseTopic: never panics; a set/get target round-trips into the
// topic it came from.
func FuzzParseTopic(f *testing.F) {
	for _, tt := range topicCases {
		f.Add(tt.topic)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		got := ParseTopic("zhub", topic)
		switch got.Kind {
		case TopicSet, TopicGet:
			re := "zhub/" + got.Target + "/" + got.Kind.String()
			if got.Property != "" {
				re += "/" + got.Property
			}
			if re != topic {
				t.Fatalf("%q parsed to %+v, which renders %q", topic, got, re)
			}
			if got.Target == "" || strings.HasPrefix(got.Target, "bridge") {
				t.Fatalf("%q: bad target %q", topic, got.Target)
			}
		case TopicRequest:
			if "zhub/bridge/request/"+got.Request != topic {
				t.Fatalf("%q: request %q", topic, got.Request)
			}
		}
	})
}

// FuzzParsePayloads: the payload parsers never panic, and a successful
// set parse is non-empty.
func FuzzParsePayloads(f *testing.F) {
	for _, s := range []string{`{"state":"ON","brightness":128}`, "on", "OPEN", `{"color":{"x":0.3,"y":0.4}}`,
		`{"state":`, `{}`, `""`, `[1,2]`, `{"a":1e400}`, `{"transaction":"t1","time":254}`, "128", "\x00"} {
		f.Add("", []byte(s))
		f.Add("brightness", []byte(s))
	}
	f.Fuzz(func(t *testing.T, property string, payload []byte) {
		m, err := ParseSetPayload(property, payload)
		if err == nil && len(m) == 0 {
			t.Fatalf("ParseSetPayload(%q, %q) = empty map without error", property, payload)
		}
		if err != nil && !errors.Is(err, ErrInvalidPayload) {
			t.Fatalf("error %v does not wrap ErrInvalidPayload", err)
		}
		props, err := ParseGetPayload(property, payload)
		if err == nil && len(props) == 0 {
			t.Fatalf("ParseGetPayload(%q, %q) = no properties without error", property, payload)
		}
		r := ParseRequest(payload)
		if r.Object == nil && r.Transaction != nil {
			t.Fatalf("transaction without object")
		}
	})
}
