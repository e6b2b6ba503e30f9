package ws

import (
	"encoding/json"
	"strings"
	"testing"
)

var requestCases = []struct {
	name, in   string
	id, action string
	code       string
}{
	{"chat", `{"action":"chat","payload":{"text":"hi"},"request_id":"r1"}`, "r1", "chat", ""},
	{"no payload", `{"action":"ping","request_id":"p"}`, "p", "ping", ""},
	{"null payload", `{"action":"ping","payload":null,"request_id":"p"}`, "p", "ping", ""},
	{"spaces", " \n{\"action\":\"ping\",\"request_id\":\"p\"} ", "p", "ping", ""},
	{"unicode id", `{"action":"ping","request_id":"é✓"}`, "é✓", "ping", ""},
	{"invalid JSON", `{"action":`, "", "", CodeBadJSON},
	{"array", `[1]`, "", "", CodeBadJSON},
	{"string", `"x"`, "", "", CodeBadJSON},
	{"trailing garbage", `{"action":"ping","request_id":"p"} x`, "", "", CodeBadJSON},
	{"no id", `{"action":"ping"}`, "", "", CodeMissingRequestID},
	{"null id", `{"action":"ping","request_id":null}`, "", "", CodeMissingRequestID},
	{"number id", `{"action":"ping","request_id":1}`, "", "", CodeMissingRequestID},
	{"welcome id", `{"action":"ping","request_id":"welcome"}`, "welcome", "", CodeBadRequestID},
	{"long id", `{"action":"ping","request_id":"` + strings.Repeat("a", 129) + `"}`, strings.Repeat("a", 128), "", CodeBadRequestID},
	{"no action", `{"request_id":"r"}`, "r", "", CodeUnknownAction},
	{"number action", `{"action":3,"request_id":"r"}`, "r", "", CodeUnknownAction},
	{"payload array", `{"action":"chat","payload":[],"request_id":"r"}`, "r", "chat", CodeBadPayload},
}

func TestParseRequest(t *testing.T) {
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			req, code, msg := parseRequest([]byte(tc.in))
			if code != tc.code || req.RequestID != tc.id || (code == "" && req.Action != tc.action) {
				t.Errorf("got %+v code %q (%s), want id %q action %q code %q", req, code, msg, tc.id, tc.action, tc.code)
			}
			if code != "" && msg == "" {
				t.Errorf("no message for %s", code)
			}
		})
	}
}

// FuzzParseRequest: no input panics; an accepted request has a valid id
// and an object payload; every error response it leads to is valid JSON.
func FuzzParseRequest(f *testing.F) {
	for _, tc := range requestCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, code, msg := parseRequest(b)
		if code == "" {
			if req.RequestID == "" || len(req.RequestID) > MaxRequestIDLen || req.RequestID == WelcomeID || req.Action == "" {
				t.Fatalf("accepted %+v", req)
			}
			if len(req.Payload) > 0 && !json.Valid(req.Payload) {
				t.Fatalf("payload %q", req.Payload)
			}
			return
		}
		out := encodeResponse(Response{RequestID: req.RequestID, Status: StatusError, Chunk: errorChunk(code, msg, nil)})
		var back Response
		if err := json.Unmarshal(out, &back); err != nil || back.Status != StatusError {
			t.Fatalf("error response %q: %v", out, err)
		}
		idJSON := []byte(quote(req.RequestID))
		chunk := appendChunkResponse(nil, idJSON, []byte(`{"text":"x"}`))
		if err := json.Unmarshal(chunk, &back); err != nil {
			t.Fatalf("chunk response %q: %v", chunk, err)
		}
	})
}

func TestStateSummary(t *testing.T) {
	for _, tc := range []struct {
		state map[string]any
		want  string
	}{
		{map[string]any{"brightness": 76}, "kitchen_light → brightness 76"},
		{map[string]any{"brightness": 76, "state": "ON", "color_temp": 300}, "kitchen_light → state ON, brightness 76, color_temp 300"},
		{map[string]any{"color": map[string]any{"x": 0.3, "y": 0.3}}, `kitchen_light → color {"x":0.3,"y":0.3}`},
	} {
		if got := stateSummary("kitchen_light", tc.state); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.state, got, tc.want)
		}
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://HA.local:8123/", "https://ha.local:8123"},
		{"http://x", "http://x"},
		{"x", ""},
		{"http://x/path", ""},
		{"http://u@x", ""},
	} {
		got, err := normalizeOrigin(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("%q: %q %v", tc.in, got, err)
		}
	}
}
