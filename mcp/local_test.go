package mcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/mcp/mcpstore"
	"github.com/zhubhq/zhub/zigbee"
)

// TestGuardedTools: configured guarded tools are listed, refuse to act
// without confirm: true, then act through the hub; the rules still apply.
func TestGuardedTools(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight, plug}, guarded: mcp.GuardedTools})
	cs := e.local("", nil)
	want := append(slices.Clone(toolNames), "permit_join", "remove_device", "rename_device")
	slices.Sort(want)
	if got := toolNamesOf(listTools(t, cs)); !slices.Equal(got, want) {
		t.Fatalf("tools = %v, want %v", got, want)
	}
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"permit_join", map[string]any{"seconds": 30}},
		{"rename_device", map[string]any{"device": "coffee_plug", "new_name": "kettle_plug"}},
		{"remove_device", map[string]any{"device": "coffee_plug", "force": true}},
	} {
		if text, isErr := call(t, cs, c.tool, c.args, nil); !isErr || !strings.Contains(text, "confirmation required") {
			t.Errorf("%s without confirm: %v %q", c.tool, isErr, text)
		}
	}
	if _, err := e.hub.Device("coffee_plug"); err != nil {
		t.Fatalf("the plug is gone after refused calls: %v", err)
	}

	var pj mcp.PermitJoinResult
	mustCall(t, cs, "permit_join", map[string]any{"seconds": 30, "confirm": true}, &pj)
	if !pj.Open || pj.Seconds != 30 {
		t.Errorf("permit_join = %+v", pj)
	}
	mustCall(t, cs, "permit_join", map[string]any{"seconds": 0, "confirm": true}, &pj)

	ro := mcp.AccessReadOnly
	if _, err := e.srv.SetDeviceContext(e.ctx, "coffee_plug", mcp.ContextUpdate{Access: &ro}); err != nil {
		t.Fatal(err)
	}
	if text, isErr := call(t, cs, "rename_device", map[string]any{"device": "coffee_plug", "new_name": "x", "confirm": true}, nil); !isErr ||
		!strings.Contains(text, "read only") {
		t.Errorf("rename of a read-only device: %v %q", isErr, text)
	}
	full := mcp.AccessFull
	if _, err := e.srv.SetDeviceContext(e.ctx, "coffee_plug", mcp.ContextUpdate{Access: &full}); err != nil {
		t.Fatal(err)
	}
	var rn mcp.RenameResult
	mustCall(t, cs, "rename_device", map[string]any{"device": "coffee_plug", "new_name": "kettle_plug", "confirm": true}, &rn)
	if rn.Device != "kettle_plug" || rn.Previous != "coffee_plug" {
		t.Errorf("rename = %+v", rn)
	}
	if text, isErr := call(t, cs, "rename_device", map[string]any{"device": "kettle_plug", "new_name": "bad+name", "confirm": true}, nil); !isErr ||
		!strings.Contains(text, "invalid friendly name") {
		t.Errorf("invalid name: %v %q", isErr, text)
	}
	var rm mcp.RemoveResult
	mustCall(t, cs, "remove_device", map[string]any{"device": "kettle_plug", "force": true, "confirm": true}, &rm)
	if _, err := e.hub.Device("kettle_plug"); err == nil {
		t.Error("removed device still in the hub")
	}
}

// socketServer serves the device context's LocalHandler and
// ContextHandler on a unix socket, as the daemon mounts them on the local
// API.
func socketServer(t testing.TB, e *env) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mcp")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "zhub.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(mcp.LocalPath, e.srv.LocalHandler())
	mux.Handle(mcp.StdioPath, e.srv.LocalHandler())
	mux.Handle(mcp.ContextPath, e.srv.ContextHandler())
	mux.Handle(mcp.ContextPath+"/", e.srv.ContextHandler())
	srv := &http.Server{Handler: mux, BaseContext: func(net.Listener) context.Context { return e.ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
		os.RemoveAll(dir)
	})
	return path
}

// TestStdioBridge: `zhub mcp`'s bridge carries an MCP client over the unix
// socket at both revisions, with the same tools and rules.
func TestStdioBridge(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight}})
	socket := socketServer(t, e)
	for _, version := range []string{"2025-11-25", "2026-07-28"} {
		t.Run(version, func(t *testing.T) {
			conn, err := net.Dial("unix", socket)
			if err != nil {
				t.Fatal(err)
			}
			// The bridge's stdin and stdout, seen from the client's side.
			stdinR, stdinW := io.Pipe()
			stdoutR, stdoutW := io.Pipe()
			bridged := make(chan error, 1)
			go func() {
				err := mcp.Bridge(e.ctx, conn, stdinR, stdoutW)
				stdoutW.Close()
				bridged <- err
			}()
			ch, opts := updates()
			client := sdk.NewClient(&sdk.Implementation{Name: "desktop", Version: "1"}, opts)
			cs, err := client.Connect(e.ctx, &sdk.IOTransport{Reader: stdoutR, Writer: stdinW}, &sdk.ClientSessionOptions{ProtocolVersion: version})
			if err != nil {
				t.Fatal(err)
			}
			if got := cs.InitializeResult().ProtocolVersion; got != version {
				t.Errorf("negotiated %s", got)
			}
			if got := toolNamesOf(listTools(t, cs)); !slices.Equal(got, toolNames) {
				t.Errorf("tools = %v", got)
			}
			uri := mcp.DeviceURI("living_room_lamp")
			if err := cs.Subscribe(e.ctx, &sdk.SubscribeParams{URI: uri}); err != nil {
				t.Fatal(err)
			}
			var res mcp.SetResult
			mustCall(t, cs, "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"state": "TOGGLE"}}, &res)
			if st := res.State["state"]; st != "ON" && st != "OFF" {
				t.Errorf("set_device = %+v", res)
			}
			waitURI(t, ch, uri)
			if err := cs.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			select {
			case err := <-bridged:
				if err != nil {
					t.Errorf("bridge: %v", err)
				}
			case <-time.After(guard):
				t.Fatal("the bridge did not end after the client closed")
			}
		})
	}

	t.Run("refused upgrade", func(t *testing.T) {
		// A socket that is not zhub's MCP: the bridge says so.
		path := filepath.Join(filepath.Dir(socket), "other.sock")
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.NotFoundHandler()}
		go srv.Serve(ln)
		defer srv.Close()
		conn, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		err = mcp.Bridge(e.ctx, conn, strings.NewReader(""), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("bridge to a non-MCP socket: %v", err)
		}
	})
}

// socketClient is an HTTP client on a unix socket.
func socketClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
}

func doJSON(t testing.TB, c *http.Client, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://zhub"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// TestContextAPI: the owner's context API on the socket (what `zhub device
// context` uses) reads, changes (rules included) and clears a context,
// persists it, and refuses bad input with the local API's error shape.
func TestContextAPI(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight, contact}})
	c := socketClient(socketServer(t, e))
	base := mcp.ContextPath + "/"

	var v mcp.DeviceContextView
	if code := doJSON(t, c, "GET", base+"living_room_lamp", nil, &v); code != 200 || v.Room != "" || v.Rules.Access != mcp.AccessFull ||
		v.IEEE != colorLight.String() || v.Aliases == nil {
		t.Fatalf("GET: %d %+v", code, v)
	}
	room, aliases, access, deny := "Hall", []string{"front door", " the door ", "Front Door"}, mcp.AccessReadOnly, []string{"state = UNLOCK"}
	if code := doJSON(t, c, "PATCH", base+"front_door", mcp.ContextUpdate{Room: &room, Aliases: &aliases, Access: &access, Deny: &deny}, &v); code != 200 {
		t.Fatalf("PATCH: %d %+v", code, v)
	}
	if v.Room != "Hall" || !slices.Equal(v.Aliases, []string{"front door", "the door"}) || v.Rules.Access != mcp.AccessReadOnly ||
		!slices.Equal(v.Rules.Deny, []string{"state=UNLOCK"}) {
		t.Errorf("after PATCH: %+v", v)
	}
	// By IEEE address too, and persisted in SQLite.
	if code := doJSON(t, c, "GET", base+contact.String(), nil, &v); code != 200 || v.Device != "front_door" || v.Room != "Hall" {
		t.Errorf("GET by address: %d %+v", code, v)
	}
	stored, err := e.st.DeviceContexts(e.ctx)
	if err != nil || len(stored) != 1 || stored[0].Room != "Hall" || string(stored[0].Rules) != `{"access":"read_only","deny":["state=UNLOCK"]}` {
		t.Errorf("stored: %+v, %v", stored, err)
	}
	var all []mcp.DeviceContextView
	if code := doJSON(t, c, "GET", mcp.ContextPath, nil, &all); code != 200 || len(all) != 2 {
		t.Errorf("GET all: %d %+v", code, all)
	}

	for _, bad := range []struct {
		name, method, path string
		body               any
		status             int
		code, want         string
	}{
		{"unknown device", "GET", base + "front_dor", nil, 404, "unknown_device", "front_door"},
		{"bad access", "PATCH", base + "front_door", map[string]any{"access": "admin"}, 400, "invalid", "access"},
		{"bad deny", "PATCH", base + "front_door", map[string]any{"deny": []string{"=ON"}}, 400, "invalid", "deny rule"},
		{"long room", "PATCH", base + "front_door", map[string]any{"room": strings.Repeat("x", 65)}, 400, "invalid", "room"},
		{"unknown field", "PATCH", base + "front_door", map[string]any{"colour": "red"}, 400, "bad_request", "colour"},
		{"stdio without upgrade", "GET", mcp.StdioPath, nil, 426, "upgrade_required", "Upgrade"},
	} {
		var eb mcp.ContextAPIError
		code := doJSON(t, c, bad.method, bad.path, bad.body, &eb)
		if code != bad.status || eb.Code != bad.code || !strings.Contains(eb.Message+eb.Suggestion, bad.want) {
			t.Errorf("%s: %d %+v", bad.name, code, eb)
		}
	}

	if code := doJSON(t, c, "DELETE", base+"front_door", nil, &v); code != 200 || v.Room != "" || v.Rules.Access != mcp.AccessFull {
		t.Errorf("DELETE: %d %+v", code, v)
	}
	if stored, err := e.st.DeviceContexts(e.ctx); err != nil || len(stored) != 0 {
		t.Errorf("stored after DELETE: %+v, %v", stored, err)
	}
}

// TestContextSurvivesRestart: a context stored by one server is loaded by
// the next (a daemon restart), and rules apply from the first call.
func TestContextSurvivesRestart(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight}})
	ro := mcp.AccessReadOnly
	room := "Study"
	if _, err := e.srv.SetDeviceContext(e.ctx, "living_room_lamp", mcp.ContextUpdate{Access: &ro, Room: &room}); err != nil {
		t.Fatal(err)
	}
	srv2, err := mcp.New(mcp.Config{Hub: e.hub, Contexts: mcpstore.Store{S: e.st}, Debounce: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- srv2.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	l, err := srv2.Connect(e.ctx, mcp.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	res, err := l.Call(e.ctx, "set_device", json.RawMessage(`{"device":"living_room_lamp","values":{"state":"ON"}}`))
	if err != nil || !res.IsError || !strings.Contains(res.Text, "read only") {
		t.Errorf("set on the restarted server: %+v, %v", res, err)
	}
	v, err := srv2.DeviceContext("living_room_lamp")
	if err != nil || v.Room != "Study" {
		t.Errorf("context after restart: %+v, %v", v, err)
	}
	// An unknown tool through Local is a protocol error.
	if _, err := l.Call(e.ctx, "nope", nil); err == nil || !strings.Contains(err.Error(), "unknown tool") {
		t.Errorf("unknown tool through Local: %v", err)
	}
	tools, err := l.Tools(e.ctx)
	if err != nil || len(tools) != len(toolNames) || !json.Valid(tools[0].InputSchema) {
		t.Errorf("Local.Tools: %+v, %v", tools, err)
	}
}

// TestSystemPrompt: the prompt speaks the household's language (rooms,
// aliases, notes, rules) and holds no live state and no secrets.
func TestSystemPrompt(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight, dimmable, contact}})
	secret := e.token("prompt")
	room, kitchen, notes := "Living room", "Kitchen", "warm white;\nbehind the sofa"
	aliases := []string{"the lamp by the sofa"}
	ro := mcp.AccessReadOnly
	deny := []string{"state=OFF"}
	for name, u := range map[string]mcp.ContextUpdate{
		"living_room_lamp": {Room: &room, Aliases: &aliases, Notes: &notes, Deny: &deny},
		"kitchen_light":    {Room: &kitchen},
		"front_door":       {Access: &ro},
	} {
		if _, err := e.srv.SetDeviceContext(e.ctx, name, u); err != nil {
			t.Fatal(err)
		}
	}
	p := e.srv.SystemPrompt(e.ctx)
	for _, want := range []string{
		"- Kitchen:\n  - kitchen_light: light\n",
		"- Living room:\n  - living_room_lamp: light; also called \"the lamp by the sofa\"; notes: warm white; behind the sofa; rules: never change state=OFF\n",
		"- No room set:\n  - front_door: sensor; rules: read only\n",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
	for _, never := range []string{secret, "zhub_", "brightness", colorLight.String()} {
		if strings.Contains(p, never) {
			t.Errorf("prompt contains %q:\n%s", never, p)
		}
	}
}
