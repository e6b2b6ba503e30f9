package mcp_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/zigbee"
)

// toolNames are the tools with no guarded tool enabled.
var toolNames = []string{"get_device", "get_history", "list_devices", "list_rooms", "set_device", "set_device_context"}

// call runs a tool and decodes its structured content into out (when not
// nil and not an error). It returns the text and isError.
func call(t testing.TB, cs *sdk.ClientSession, name string, args any, out any) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var texts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			texts = append(texts, tc.Text)
		}
	}
	text := strings.Join(texts, "\n")
	if !res.IsError && out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured content %s: %v", name, b, err)
		}
		// The text block carries the same JSON for older clients.
		if !json.Valid([]byte(text)) {
			t.Errorf("%s: text content is not the JSON result: %q", name, text)
		}
	}
	return text, res.IsError
}

func mustCall(t testing.TB, cs *sdk.ClientSession, name string, args any, out any) {
	t.Helper()
	if text, isErr := call(t, cs, name, args, out); isErr {
		t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
}

func listTools(t testing.TB, cs *sdk.ClientSession) []*sdk.Tool {
	t.Helper()
	var out []*sdk.Tool
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tool)
	}
	return out
}

func toolNamesOf(ts []*sdk.Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// updates collects notifications/resources/updated URIs.
func updates() (chan string, *sdk.ClientOptions) {
	ch := make(chan string, 256)
	return ch, &sdk.ClientOptions{ResourceUpdatedHandler: func(_ context.Context, r *sdk.ResourceUpdatedNotificationRequest) {
		select {
		case ch <- r.Params.URI:
		default:
		}
	}}
}

func waitURI(t testing.TB, ch chan string, uri string) {
	t.Helper()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for {
		select {
		case got := <-ch:
			if got == uri {
				return
			}
		case <-timer.C:
			t.Fatalf("no notifications/resources/updated for %s within %v", uri, guard)
		}
	}
}

func drain(ch chan string) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestAcceptanceGoClients is acceptance 1: the Go SDK client over the
// in-memory transport and Streamable HTTP, at 2025-11-25 (initialize,
// sessions) and 2026-07-28 (stateless, server/discover), lists the tools,
// calls each one against the real hub on the sim, and receives the
// resource update a state change causes.
func TestAcceptanceGoClients(t *testing.T) {
	e := start(t, envOptions{})
	ts := e.httpServer(mcp.HTTPConfig{})
	token := e.token("acceptance")
	lampURI := mcp.DeviceURI("living_room_lamp")

	for i, tc := range []struct {
		transport, version string
	}{
		{"in-memory", "2025-11-25"},
		{"in-memory", "2026-07-28"},
		{"http", "2025-11-25"},
		{"http", "2026-07-28"},
	} {
		t.Run(tc.transport+" "+tc.version, func(t *testing.T) {
			ch, opts := updates()
			var cs *sdk.ClientSession
			rt := &bearer{sessions: make(chan string, 64)}
			if tc.transport == "http" {
				cs = e.remote(ts.URL+"/mcp", token, tc.version, opts, rt)
			} else {
				cs = e.local(tc.version, opts)
			}
			if got := cs.InitializeResult().ProtocolVersion; got != tc.version {
				t.Fatalf("negotiated %s, want %s", got, tc.version)
			}
			if si := cs.InitializeResult().ServerInfo; si == nil || si.Name != "zhub" {
				t.Errorf("server info %+v", si)
			}
			if tc.transport == "http" {
				// Sessions exist only before 2026-07-28.
				sid := <-rt.sessions
				if (sid != "") != (tc.version == "2025-11-25") {
					t.Errorf("Mcp-Session-Id %q at %s", sid, tc.version)
				}
			}

			tools := listTools(t, cs)
			if got := toolNamesOf(tools); !slices.Equal(got, toolNames) {
				t.Fatalf("tools = %v, want %v", got, toolNames)
			}
			for _, tool := range tools {
				b, _ := json.Marshal(tool.InputSchema)
				if !strings.Contains(string(b), `"additionalProperties":false`) || tool.Description == "" {
					t.Errorf("%s: schema %s, description %q", tool.Name, b, tool.Description)
				}
			}

			// set_device_context: the household's words.
			var v mcp.DeviceContextView
			mustCall(t, cs, "set_device_context", map[string]any{"device": "living_room_lamp", "room": "Living room",
				"aliases": []string{"the lamp by the sofa"}, "notes": "warm white"}, &v)
			if v.Room != "Living room" || !slices.Equal(v.Aliases, []string{"the lamp by the sofa"}) {
				t.Errorf("context = %+v", v)
			}
			mustCall(t, cs, "set_device_context", map[string]any{"device": "kitchen_light", "room": "Kitchen"}, nil)

			// The tool descriptions now speak the household's language.
			tools = listTools(t, cs)
			ti := slices.IndexFunc(tools, func(x *sdk.Tool) bool { return x.Name == "list_devices" })
			if d := tools[ti].Description; !strings.Contains(d, "Living room") || !strings.Contains(d, `"the lamp by the sofa"`) {
				t.Errorf("list_devices description lacks the context: %q", d)
			}

			// list_rooms
			var rooms mcp.Rooms
			mustCall(t, cs, "list_rooms", map[string]any{}, &rooms)
			if len(rooms.Rooms) != 2 || rooms.Rooms[0].Name != "Kitchen" || rooms.Rooms[1].Name != "Living room" ||
				!slices.Equal(rooms.Rooms[1].Devices, []string{"living_room_lamp"}) ||
				!slices.Equal(rooms.Unassigned, []string{"bedroom_sensor", "coffee_plug", "front_door"}) {
				t.Errorf("rooms = %+v", rooms)
			}

			// list_devices with each filter.
			for _, f := range []struct {
				args map[string]any
				want []string
			}{
				{map[string]any{}, []string{"bedroom_sensor", "coffee_plug", "front_door", "kitchen_light", "living_room_lamp"}},
				{map[string]any{"room": "living room"}, []string{"living_room_lamp"}},
				{map[string]any{"type": "light"}, []string{"kitchen_light", "living_room_lamp"}},
				{map[string]any{"type": "sensor"}, []string{"bedroom_sensor", "front_door"}},
				{map[string]any{"capability": "temperature"}, []string{"bedroom_sensor"}},
				{map[string]any{"capability": "color_temp"}, []string{"living_room_lamp"}},
			} {
				var list mcp.DeviceList
				mustCall(t, cs, "list_devices", f.args, &list)
				var got []string
				for _, d := range list.Devices {
					got = append(got, d.Name)
				}
				if !slices.Equal(got, f.want) {
					t.Errorf("list_devices(%v) = %v, want %v", f.args, got, f.want)
				}
			}

			// get_device by alias: capabilities with ranges.
			var dev mcp.DeviceDetail
			mustCall(t, cs, "get_device", map[string]any{"device": "The lamp by the sofa"}, &dev)
			if dev.Name != "living_room_lamp" || dev.Room != "Living room" || dev.Type != "light" || !dev.Available || dev.LastSeen == "" {
				t.Errorf("get_device = %+v", dev)
			}
			bi := slices.IndexFunc(dev.Capabilities, func(c mcp.Capability) bool { return c.Property == "brightness" })
			if bi < 0 || dev.Capabilities[bi].Access != "read_write" || dev.Capabilities[bi].Max == nil || *dev.Capabilities[bi].Max != 254 {
				t.Errorf("brightness capability: %+v", dev.Capabilities)
			}

			// subscribe, then set_device: the confirmed state comes back and
			// the subscription hears about it.
			if err := cs.Subscribe(e.ctx, &sdk.SubscribeParams{URI: lampURI}); err != nil {
				t.Fatal(err)
			}
			drain(ch)
			level := 40 + 40*i
			var res mcp.SetResult
			mustCall(t, cs, "set_device", map[string]any{"device": "the lamp by the sofa",
				"values": map[string]any{"state": "ON", "brightness": level}}, &res)
			if res.Device != "living_room_lamp" || res.State["brightness"] != float64(level) || res.State["state"] != "ON" {
				t.Errorf("set_device = %+v", res)
			}
			info, err := e.net.Device(e.ctx, colorLight)
			if err != nil {
				t.Fatal(err)
			}
			if int(info.Level) != level || !info.OnOff {
				t.Errorf("the virtual lamp is at %d on=%v, want %d on", info.Level, info.OnOff, level)
			}
			waitURI(t, ch, lampURI)

			// The resource shows the new state.
			rr, err := cs.ReadResource(e.ctx, &sdk.ReadResourceParams{URI: lampURI})
			if err != nil {
				t.Fatal(err)
			}
			var doc mcp.DeviceDetail
			if err := json.Unmarshal([]byte(rr.Contents[0].Text), &doc); err != nil || doc.State["brightness"] != float64(level) {
				t.Errorf("resource %s: %s (%v)", lampURI, rr.Contents[0].Text, err)
			}
			if err := cs.Unsubscribe(e.ctx, &sdk.UnsubscribeParams{URI: lampURI}); err != nil {
				t.Fatal(err)
			}

			// get_history has the value.
			var hist mcp.History
			mustCall(t, cs, "get_history", map[string]any{"device": "living_room_lamp", "property": "brightness"}, &hist)
			if len(hist.Points) == 0 || hist.Points[len(hist.Points)-1].Value != float64(level) {
				t.Errorf("history = %+v", hist)
			}
		})
	}
}

// TestListChanged: a context change makes the server send
// notifications/tools/list_changed and resources/list_changed, at both
// protocol revisions over HTTP.
func TestListChanged(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight}})
	ts := e.httpServer(mcp.HTTPConfig{})
	token := e.token("lists")
	for _, version := range []string{"2025-11-25", "2026-07-28"} {
		t.Run(version, func(t *testing.T) {
			toolsCh, resCh := make(chan struct{}, 16), make(chan struct{}, 16)
			opts := &sdk.ClientOptions{
				ToolListChangedHandler:     func(context.Context, *sdk.ToolListChangedRequest) { toolsCh <- struct{}{} },
				ResourceListChangedHandler: func(context.Context, *sdk.ResourceListChangedRequest) { resCh <- struct{}{} },
			}
			cs := e.remote(ts.URL+"/mcp", token, version, opts, nil)
			// The 2025-11-25 client hears on its GET stream, the 2026-07-28
			// one on subscriptions/listen.
			listTools(t, cs)
			room := "Room " + version
			if _, err := e.srv.SetDeviceContext(e.ctx, "living_room_lamp", mcp.ContextUpdate{Room: &room}); err != nil {
				t.Fatal(err)
			}
			for _, ch := range []chan struct{}{toolsCh, resCh} {
				select {
				case <-ch:
				case <-time.After(guard):
					t.Fatal("no list_changed notification")
				}
			}
			var found bool
			for r, err := range cs.Resources(e.ctx, nil) {
				if err != nil {
					t.Fatal(err)
				}
				if r.URI == mcp.DeviceURI("living_room_lamp") && strings.Contains(r.Title, room) {
					found = true
				}
			}
			if !found {
				t.Error("the resource list does not show the new room")
			}
		})
	}
}
