package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/zigbee"
)

// rpcCode returns the JSON-RPC error code an SDK call failed with.
func rpcCode(t testing.TB, err error) int64 {
	t.Helper()
	var je *jsonrpc.Error
	if !errors.As(err, &je) {
		t.Fatalf("error %v (%T) is not a JSON-RPC error", err, err)
	}
	return je.Code
}

// TestBadInputProtocolShapes is acceptance 3 for the tools, over both
// transports and both revisions: an unknown tool and a guarded tool that
// is off are JSON-RPC errors -32602; schema-invalid arguments are tool
// results with isError (SEP-1303: the model reads the reason and retries).
func TestBadInputProtocolShapes(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight}})
	ts := e.httpServer(mcp.HTTPConfig{})
	token := e.token("bad")
	for _, tc := range []struct{ transport, version string }{
		{"in-memory", "2025-11-25"}, {"in-memory", "2026-07-28"}, {"http", "2025-11-25"}, {"http", "2026-07-28"},
	} {
		t.Run(tc.transport+" "+tc.version, func(t *testing.T) {
			var cs *sdk.ClientSession
			if tc.transport == "http" {
				cs = e.remote(ts.URL+"/mcp", token, tc.version, nil, nil)
			} else {
				cs = e.local(tc.version, nil)
			}
			names := toolNamesOf(listTools(t, cs))
			for _, name := range []string{"no_such_tool", "permit_join", "rename_device", "remove_device"} {
				if slices.Contains(names, name) {
					t.Errorf("%s is listed", name)
				}
				_, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: name, Arguments: map[string]any{"device": "living_room_lamp", "confirm": true}})
				if err == nil {
					t.Fatalf("%s: call succeeded", name)
				}
				if code := rpcCode(t, err); code != jsonrpc.CodeInvalidParams {
					t.Errorf("%s: code %d, want -32602", name, code)
				}
				if !strings.Contains(err.Error(), "unknown tool") {
					t.Errorf("%s: %v", name, err)
				}
			}
			for _, bad := range []struct {
				name, tool string
				args       any
				want       string
			}{
				{"missing required", "get_device", map[string]any{}, "device"},
				{"wrong type", "get_device", map[string]any{"device": 7}, "device"},
				{"unknown argument", "get_device", map[string]any{"device": "living_room_lamp", "colour": "red"}, "colour"},
				{"values not an object", "set_device", map[string]any{"device": "living_room_lamp", "values": "on"}, "values"},
				{"value outside the enum", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"state": "BRIGHT"}}, "state"},
				{"unknown property", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"volume": 3}}, "volume"},
				{"number as text", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"brightness": "lots"}}, "brightness"},
				{"limit out of range", "get_history", map[string]any{"device": "living_room_lamp", "property": "state", "limit": 100000}, "limit"},
				{"room not a string", "list_devices", map[string]any{"room": []string{"a"}}, "room"},
				{"type outside the enum", "list_devices", map[string]any{"type": "toaster"}, "type"},
			} {
				text, isErr := call(t, cs, bad.tool, bad.args, nil)
				if !isErr || !strings.Contains(text, "validating") || !strings.Contains(text, bad.want) {
					t.Errorf("%s: isError=%v text=%q", bad.name, isErr, text)
				}
			}
			// Arguments that pass the schema but not the hub: a tool error
			// the model can act on.
			for _, bad := range []struct {
				name, tool string
				args       any
				want       string
			}{
				{"unknown device", "get_device", map[string]any{"device": "livng_room_lamp"}, `did you mean "living_room_lamp"`},
				{"out of range", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"brightness": 300}}, "validating"},
				{"empty values", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{}}, "values is empty"},
				{"unknown history property", "get_history", map[string]any{"device": "living_room_lamp", "property": "brightnes"}, `did you mean "brightness"`},
				{"range upside down", "get_history", map[string]any{"device": "living_room_lamp", "property": "state",
					"from": "2026-05-02T00:00:00Z", "to": "2026-05-01T00:00:00Z"}, "not before"},
				{"range too long", "get_history", map[string]any{"device": "living_room_lamp", "property": "state",
					"from": "2025-01-01T00:00:00Z", "to": "2026-05-01T00:00:00Z"}, "longer than 31 days"},
				{"malformed time", "get_history", map[string]any{"device": "living_room_lamp", "property": "state", "from": "yesterday"}, "RFC 3339"},
			} {
				text, isErr := call(t, cs, bad.tool, bad.args, nil)
				if !isErr || !strings.Contains(text, bad.want) {
					t.Errorf("%s: isError=%v text=%q", bad.name, isErr, text)
				}
			}
			// Resources: an unknown one is a JSON-RPC error.
			_, err := cs.ReadResource(e.ctx, &sdk.ReadResourceParams{URI: "zhub://devices/nothing"})
			if err == nil || rpcCode(t, err) != jsonrpc.CodeInvalidParams {
				t.Errorf("read of an unknown resource: %v", err)
			}
		})
	}
}

// post sends one raw JSON-RPC message to /mcp.
func post(t testing.TB, url string, hdr map[string]string, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var msg map[string]any
	_ = json.Unmarshal(data, &msg)
	return resp, msg
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// TestBadInputHTTP is acceptance 3 for /mcp: no token, a bad token, a
// malformed Authorization header and a foreign Origin are refused before
// any MCP processing, with the HTTP status the transport specifies (401
// with WWW-Authenticate, 403) and a JSON-RPC error body; a request without
// a session id after initialize, and a session used with another token,
// are refused too.
func TestBadInputHTTP(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight}})
	ts := e.httpServer(mcp.HTTPConfig{AllowedOrigins: []string{"https://ha.example:8123"}})
	url := ts.URL + "/mcp"
	token := e.token("good")
	other := e.token("other")
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		status int
		want   string
	}{
		{"no token", nil, 401, "no token"},
		{"bad token", map[string]string{"Authorization": "Bearer zhub_notavalidtokenatall"}, 401, "invalid or revoked token"},
		{"basic auth", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, 401, "malformed"},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, 401, "malformed"},
		{"foreign origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://evil.example"}, 403, "origin"},
		{"foreign origin without token", map[string]string{"Origin": "http://evil.example"}, 403, "origin"},
		{"malformed origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "null"}, 403, "origin"},
		{"allowed origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://HA.example:8123"}, 200, ""},
		{"own origin", map[string]string{"Authorization": "Bearer " + token, "Origin": ts.URL}, 200, ""},
		{"no origin (not a browser)", map[string]string{"Authorization": "Bearer " + token}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, msg := post(t, url, tc.hdr, initializeBody)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tc.status, msg)
			}
			if tc.status == 200 {
				return
			}
			errObj, _ := msg["error"].(map[string]any)
			if msg["jsonrpc"] != "2.0" || errObj == nil || errObj["code"] != float64(-32600) ||
				!strings.Contains(errObj["message"].(string), tc.want) {
				t.Errorf("body %v", msg)
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
			if strings.Contains(resp.Header.Get("WWW-Authenticate"), token) {
				t.Error("the token is echoed")
			}
		})
	}

	t.Run("session needs its id and its token", func(t *testing.T) {
		resp, _ := post(t, url, map[string]string{"Authorization": "Bearer " + token}, initializeBody)
		sid := resp.Header.Get("Mcp-Session-Id")
		if sid == "" {
			t.Fatal("no Mcp-Session-Id on initialize")
		}
		list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
		if resp, _ := post(t, url, map[string]string{"Authorization": "Bearer " + token, "Mcp-Protocol-Version": "2025-11-25"}, list); resp.StatusCode != 400 {
			t.Errorf("without session id: %d, want 400", resp.StatusCode)
		}
		if resp, _ := post(t, url, map[string]string{"Authorization": "Bearer " + token, "Mcp-Session-Id": "nope"}, list); resp.StatusCode != 404 {
			t.Errorf("unknown session id: %d, want 404", resp.StatusCode)
		}
		if resp, _ := post(t, url, map[string]string{"Authorization": "Bearer " + other, "Mcp-Session-Id": sid}, list); resp.StatusCode/100 == 2 {
			t.Errorf("another token used the session: %d", resp.StatusCode)
		}
	})

	t.Run("revoked token", func(t *testing.T) {
		secret := e.token("soon-revoked")
		cs := e.remote(url, secret, "2025-11-25", nil, nil)
		listTools(t, cs)
		if err := e.tokens.Revoke(e.ctx, "soon-revoked"); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.ListTools(e.ctx, nil); err == nil {
			t.Error("a revoked token still lists tools")
		}
	})
}

// TestRulesHoldForEveryClient: the household's rules refuse the same
// actions with the same words for the chat's in-memory client and for an
// HTTP client, at both revisions; hidden devices do not exist for either.
func TestRulesHoldForEveryClient(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight, dimmable, plug}})
	ts := e.httpServer(mcp.HTTPConfig{})
	token := e.token("rules")
	ro, confirm, hidden := mcp.AccessReadOnly, mcp.AccessConfirm, mcp.AccessHidden
	deny := []string{"state=OFF", "color_temp"}
	for name, u := range map[string]mcp.ContextUpdate{
		"coffee_plug":      {Access: &ro},
		"living_room_lamp": {Deny: &deny},
		"kitchen_light":    {Access: &confirm},
	} {
		if _, err := e.srv.SetDeviceContext(e.ctx, name, u); err != nil {
			t.Fatal(err)
		}
	}

	cases := []struct {
		name, tool string
		args       map[string]any
		want       string // "" = allowed
	}{
		{"read-only refuses set", "set_device", map[string]any{"device": "coffee_plug", "values": map[string]any{"state": "ON"}},
			"coffee_plug: set state: refused by the household's rules (read only)"},
		{"read-only refuses context edits", "set_device_context", map[string]any{"device": "coffee_plug", "room": "Kitchen"},
			"refused by the household's rules (read only)"},
		{"read-only may be read", "get_device", map[string]any{"device": "coffee_plug"}, ""},
		{"deny value", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"state": "OFF"}},
			"set state=OFF: refused by the household's rules (never change state=OFF)"},
		{"deny property", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"color_temp": 300}},
			"refused by the household's rules (never change color_temp)"},
		{"other values allowed", "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"state": "ON"}}, ""},
		{"confirm needed", "set_device", map[string]any{"device": "kitchen_light", "values": map[string]any{"state": "ON"}},
			"confirmation required"},
		{"confirmed", "set_device", map[string]any{"device": "kitchen_light", "values": map[string]any{"state": "ON"}, "confirm": true}, ""},
	}
	run := func(t *testing.T, cs *sdk.ClientSession) map[string]string {
		got := map[string]string{}
		for _, c := range cases {
			text, isErr := call(t, cs, c.tool, c.args, nil)
			switch {
			case c.want == "" && isErr:
				t.Errorf("%s: refused: %s", c.name, text)
			case c.want != "" && (!isErr || !strings.Contains(text, c.want)):
				t.Errorf("%s: isError=%v %q, want %q", c.name, isErr, text, c.want)
			}
			got[c.name] = text
		}
		return got
	}
	var reference map[string]string
	for _, tc := range []struct{ transport, version string }{
		{"in-memory", "2026-07-28"}, {"in-memory", "2025-11-25"}, {"http", "2025-11-25"}, {"http", "2026-07-28"},
	} {
		t.Run(tc.transport+" "+tc.version, func(t *testing.T) {
			var cs *sdk.ClientSession
			if tc.transport == "http" {
				cs = e.remote(ts.URL+"/mcp", token, tc.version, nil, nil)
			} else {
				cs = e.local(tc.version, nil)
			}
			got := run(t, cs)
			if reference == nil {
				reference = got
				return
			}
			for _, c := range cases {
				if c.want != "" && got[c.name] != reference[c.name] {
					t.Errorf("%s: %q here, %q in memory", c.name, got[c.name], reference[c.name])
				}
			}
		})
	}

	// A hidden device disappears from every door at once.
	if _, err := e.srv.SetDeviceContext(e.ctx, "coffee_plug", mcp.ContextUpdate{Access: &hidden}); err != nil {
		t.Fatal(err)
	}
	for _, cs := range []*sdk.ClientSession{e.local("", nil), e.remote(ts.URL+"/mcp", token, "2025-11-25", nil, nil)} {
		var list mcp.DeviceList
		mustCall(t, cs, "list_devices", map[string]any{}, &list)
		for _, d := range list.Devices {
			if d.Name == "coffee_plug" {
				t.Error("hidden device listed")
			}
		}
		for _, ref := range []string{"coffee_plug", plug.String()} {
			if text, isErr := call(t, cs, "get_device", map[string]any{"device": ref}, nil); !isErr || !strings.Contains(text, "unknown device") {
				t.Errorf("hidden device by %s: %v %q", ref, isErr, text)
			}
		}
		if _, err := cs.ReadResource(e.ctx, &sdk.ReadResourceParams{URI: mcp.DeviceURI("coffee_plug")}); err == nil {
			t.Error("hidden device readable as a resource")
		}
		for _, tool := range listTools(t, cs) {
			if strings.Contains(tool.Description, "coffee_plug") {
				t.Errorf("%s names the hidden device", tool.Name)
			}
		}
	}
	if p := e.srv.SystemPrompt(context.Background()); strings.Contains(p, "coffee_plug") {
		t.Error("the system prompt names the hidden device")
	}
}
