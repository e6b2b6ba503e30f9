package mcp

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zhubhq/zhub/hub"
)

func TestRulesDenied(t *testing.T) {
	r := Rules{Deny: []string{"state=UNLOCK", "color_temp", "brightness=0", "child_lock=true"}}
	for _, tc := range []struct {
		name string
		prop string
		v    any
		want string
	}{
		{"value denied", "state", "UNLOCK", "state=UNLOCK"},
		{"case does not matter", "State", " unlock ", "state=UNLOCK"},
		{"other value allowed", "state", "LOCK", ""},
		{"whole property", "color_temp", 300.0, "color_temp"},
		{"number equal", "brightness", 0.0, "brightness=0"},
		{"number different", "brightness", 0.5, ""},
		{"bool by name", "child_lock", true, "child_lock=true"},
		{"bool other", "child_lock", false, ""},
		{"composite only by property", "brightness", map[string]any{"x": 0}, ""},
		{"unrelated", "position", 10.0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.denied(tc.prop, tc.v); got != tc.want {
				t.Errorf("denied(%s, %v) = %q, want %q", tc.prop, tc.v, got, tc.want)
			}
		})
	}
}

func manyAliases(n int) *[]string {
	var out []string
	for i := range n {
		out = append(out, "alias "+strconv.Itoa(i))
	}
	return &out
}

func TestContextUpdate(t *testing.T) {
	s := func(v string) *string { return &v }
	l := func(v ...string) *[]string { return &v }
	a := func(v Access) *Access { return &v }
	base := DeviceContext{Room: "Hall", Aliases: []string{"door"}, Notes: "n", Rules: Rules{Access: AccessConfirm, Deny: []string{"state"}}}
	for _, tc := range []struct {
		name string
		u    ContextUpdate
		want DeviceContext
		err  bool
	}{
		{"nothing changes", ContextUpdate{}, base, false},
		{"room trimmed", ContextUpdate{Room: s("  Kitchen ")}, DeviceContext{Room: "Kitchen", Aliases: []string{"door"}, Notes: "n",
			Rules: base.Rules}, false},
		{"aliases deduplicated without case, empties dropped", ContextUpdate{Aliases: l("A", " a ", "", "b")},
			DeviceContext{Room: "Hall", Aliases: []string{"A", "b"}, Notes: "n", Rules: base.Rules}, false},
		{"full access is the zero value", ContextUpdate{Access: a(AccessFull), Deny: l()},
			DeviceContext{Room: "Hall", Aliases: []string{"door"}, Notes: "n"}, false},
		{"deny normalised", ContextUpdate{Deny: l(" state = UNLOCK ", "state=UNLOCK", "color")},
			DeviceContext{Room: "Hall", Aliases: []string{"door"}, Notes: "n", Rules: Rules{Access: AccessConfirm, Deny: []string{"state=UNLOCK", "color"}}}, false},
		{"unknown access", ContextUpdate{Access: a("admin")}, DeviceContext{}, true},
		{"deny without property", ContextUpdate{Deny: l("=ON")}, DeviceContext{}, true},
		{"deny with spaces in the property", ContextUpdate{Deny: l("my state=ON")}, DeviceContext{}, true},
		{"room too long", ContextUpdate{Room: s(strings.Repeat("é", MaxRoomLen+1))}, DeviceContext{}, true},
		{"room on two lines", ContextUpdate{Room: s("a\nb")}, DeviceContext{}, true},
		{"notes with a control character", ContextUpdate{Notes: s("a\x01b")}, DeviceContext{}, true},
		{"invalid UTF-8", ContextUpdate{Notes: s("a\xffb")}, DeviceContext{}, true},
		{"too many aliases", ContextUpdate{Aliases: manyAliases(MaxAliases + 1)}, DeviceContext{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.u.apply(base)
			if tc.err {
				if !errors.Is(err, ErrInvalidContext) {
					t.Errorf("err = %v, want ErrInvalidContext", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(tc.want)
			if string(gb) != string(wb) {
				t.Errorf("got %s, want %s", gb, wb)
			}
		})
	}
	// apply never changes its input.
	if base.Aliases[0] != "door" || base.Rules.Deny[0] != "state" {
		t.Errorf("base changed: %+v", base)
	}
}

func TestDeviceURI(t *testing.T) {
	for _, name := range []string{"living_room_lamp", "kitchen/ceiling", "Lamp 2", "ünïcode", "a%2Fb", "0x0017880100a1c001"} {
		uri := deviceURI(name)
		got, ok := deviceFromURI(uri)
		if !ok || got != name {
			t.Errorf("%q → %q → %q, %v", name, uri, got, ok)
		}
		if strings.Count(uri, "/") != 3 {
			t.Errorf("%q: %s is not one path segment", name, uri)
		}
	}
	for _, bad := range []string{"zhub://devices", "zhub://devices/", "zhub://other/x", "zhub://devices/%zz"} {
		if _, ok := deviceFromURI(bad); ok {
			t.Errorf("deviceFromURI(%q) accepted", bad)
		}
	}
}

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		hdr    map[string]string
		body   string
		want   routing
	}{
		{"initialize", "POST", nil, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`, routeStateful},
		{"session", "POST", map[string]string{"Mcp-Session-Id": "abc", "Mcp-Protocol-Version": "2026-07-28"}, `{}`, routeStateful},
		{"modern header", "POST", map[string]string{"Mcp-Protocol-Version": "2026-07-28"}, `{"method":"tools/list"}`, routeStateless},
		{"legacy header without session", "POST", map[string]string{"Mcp-Protocol-Version": "2025-11-25"}, `{"id":2,"method":"tools/list"}`, routeNoSession},
		{"discover without header", "POST", nil, `{"jsonrpc":"2.0","id":1,"method":"server/discover"}`, routeStateless},
		{"meta version without header", "POST", nil,
			`{"id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, routeStateless},
		{"no session", "POST", nil, `{"id":1,"method":"tools/list"}`, routeNoSession},
		{"garbage body goes to the SDK", "POST", nil, `{`, routeStateful},
		{"GET stream", "GET", nil, ``, routeStateful},
		{"DELETE", "DELETE", map[string]string{"Mcp-Session-Id": "abc"}, ``, routeStateful},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/mcp", strings.NewReader(tc.body))
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			if got := route(r); got != tc.want {
				t.Errorf("route = %v, want %v", got, tc.want)
			}
			// The body is still there for the SDK.
			if b, _ := io.ReadAll(r.Body); string(b) != tc.body {
				t.Errorf("body after routing = %q", b)
			}
		})
	}
}

func TestOriginAllowed(t *testing.T) {
	allowed, err := normalizeOrigins([]string{"https://HA.local:8123/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := normalizeOrigins([]string{"ha.local"}); !errors.Is(err, ErrConfig) {
		t.Errorf("bare host accepted: %v", err)
	}
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"", true},
		{"http://127.0.0.1:8480", true},
		{"https://ha.local:8123", true},
		{"https://ha.local", false},
		{"http://evil.example", false},
		{"null", false},
		{"http://127.0.0.1:8480/path", false},
	} {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8480/mcp", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := originAllowed(r, allowed); got != tc.want {
			t.Errorf("origin %q: %v, want %v", tc.origin, got, tc.want)
		}
	}
}

func f64(v float64) *float64 { return &v }

// TestValuesSchema: the union of settable properties merges enums and
// widens ranges; read-only properties stay out, read-only devices count
// (their rules refuse, not the schema).
func TestValuesSchema(t *testing.T) {
	light := hub.Device{FriendlyName: "lamp", Definition: hub.Definition{Exposes: []hub.Expose{{Type: "light", Features: []hub.Expose{
		{Type: "binary", Property: "state", Access: 7, ValueOn: "ON", ValueOff: "OFF", ValueToggle: "TOGGLE"},
		{Type: "numeric", Property: "brightness", Access: 7, ValueMin: f64(0), ValueMax: f64(254)},
		{Type: "composite", Property: "color", Access: 7, Features: []hub.Expose{{Type: "numeric", Property: "x"}, {Type: "numeric", Property: "y"}}},
	}}}}}
	lock := hub.Device{FriendlyName: "door", Definition: hub.Definition{Exposes: []hub.Expose{{Type: "lock", Features: []hub.Expose{
		{Type: "binary", Property: "state", Access: 7, ValueOn: "LOCK", ValueOff: "UNLOCK"},
		{Type: "enum", Property: "lock_state", Access: 5, Values: []string{"locked", "unlocked"}},
	}}}}}
	dimmer := hub.Device{FriendlyName: "dimmer", Definition: hub.Definition{Exposes: []hub.Expose{
		{Type: "numeric", Property: "brightness", Access: 7, ValueMin: f64(1), ValueMax: f64(1000)},
	}}}
	ro := hub.Device{FriendlyName: "ro", Definition: hub.Definition{Exposes: []hub.Expose{
		{Type: "numeric", Property: "position", Access: 7},
	}}}
	s := valuesSchema([]entry{{dev: light}, {dev: lock}, {dev: dimmer}, {dev: ro, ctx: DeviceContext{Rules: Rules{Access: AccessReadOnly}}}})
	props := s["properties"].(schema)
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range props {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, []string{"brightness", "color", "position", "state"}) {
		t.Fatalf("properties %v", got)
	}
	if e := props["state"].(schema)["enum"].([]string); !slices.Equal(e, []string{"ON", "OFF", "TOGGLE", "LOCK", "UNLOCK"}) {
		t.Errorf("state enum %v", e)
	}
	if b := props["brightness"].(schema); b["minimum"] != 0.0 || b["maximum"] != 1000.0 {
		t.Errorf("brightness %v", b)
	}
	if c := props["color"].(schema); c["additionalProperties"] != false {
		t.Errorf("color %v", c)
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if k := kindOf(lock); k != "lock" {
		t.Errorf("kind of the lock: %s", k)
	}
}

// FuzzContextUpdate: any update body decodes and applies without panic;
// an accepted context is valid and applying it again changes nothing.
func FuzzContextUpdate(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"room":"Living room","aliases":["the lamp by the sofa"],"notes":"warm"}`,
		`{"access":"read_only","deny":["state=UNLOCK","color_temp"]}`, `{"access":"hidden"}`, `{"deny":["=x"]}`,
		`{"room":"a\nb"}`, `{"aliases":["A","a"," "]}`, `{"access":"full","deny":[]}`, `{"notes":"\u0001"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u ContextUpdate
		if json.Unmarshal(data, &u) != nil {
			return
		}
		c, err := u.apply(DeviceContext{Room: "Hall", Rules: Rules{Deny: []string{"state"}}})
		if err != nil {
			if !errors.Is(err, ErrInvalidContext) {
				t.Fatalf("error %v does not wrap ErrInvalidContext", err)
			}
			return
		}
		if err := validateContext(c); err != nil {
			t.Fatalf("accepted context invalid: %v", err)
		}
		room, notes, aliases, deny, access := c.Room, c.Notes, c.Aliases, c.Rules.Deny, c.Rules.level()
		again, err := ContextUpdate{Room: &room, Notes: &notes, Aliases: &aliases, Deny: &deny, Access: &access}.apply(DeviceContext{})
		if err != nil {
			t.Fatalf("re-apply: %v", err)
		}
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("not idempotent: %s then %s", a, b)
		}
		if !utf8.ValidString(c.Room + c.Notes + strings.Join(c.Aliases, "")) {
			t.Fatal("invalid UTF-8 accepted")
		}
	})
}

// FuzzDeviceURI: names round-trip through their URI; any URI parses
// without panic.
func FuzzDeviceURI(f *testing.F) {
	for _, s := range []string{"living_room_lamp", "kitchen/ceiling", "a b", "%", "zhub://devices/x%2Fy", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if name, ok := deviceFromURI(s); ok && name == "" {
			t.Fatal("empty name accepted")
		}
		if s == "" {
			return
		}
		if got, ok := deviceFromURI(deviceURI(s)); !ok || got != s {
			t.Fatalf("%q → %q → %q %v", s, deviceURI(s), got, ok)
		}
	})
}

// FuzzRoute: routing never panics and leaves the body intact.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{`{"method":"initialize"}`, `{"method":"server/discover"}`, `[{"method":"x"}]`, `{"params":{"_meta":7}}`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		_ = route(r)
		if b, _ := io.ReadAll(r.Body); string(b) != body {
			t.Fatalf("body changed: %q", b)
		}
	})
}
