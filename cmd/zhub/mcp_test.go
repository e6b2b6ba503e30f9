package main

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/ws"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// mcpStack is the device context as startMCP builds it, on a real hub over
// the ZNP driver, the emulated dongle and SQLite, with the colour light
// paired as living_room_lamp.
func mcpStack(t *testing.T) *daemon {
	t.Helper()
	lamp := sim.DefaultDevices()[0]
	// In memory, as newChatStack's.
	e := hubtest.Start(t, hubtest.Options{Devices: []sim.DeviceSpec{lamp}, Sim: func(c *sim.Config) { c.StatePath = "" }})
	if _, err := e.Pair(t.Context(), e.Net, hubtest.Pairing{Devices: []zigbee.IEEE{lamp.IEEE},
		Names: map[zigbee.IEEE]string{lamp.IEEE: "living_room_lamp"}}); err != nil {
		t.Fatal(err)
	}
	ctx, g := daemonGroup(t)
	d := &daemon{cfg: config.Default(), hub: e.Hub, store: e.Store, log: hubtest.Logger(t).With("module", "daemon"), health: ws.NewHealthTracker()}
	if err := d.startMCP(ctx, g); err != nil {
		t.Fatal(err)
	}
	return d
}

// scriptedProvider asks for one set_device call, then answers; it records
// what it was sent.
type scriptedProvider struct {
	mu   sync.Mutex
	reqs []llm.Request
}

func (p *scriptedProvider) Name() string { return "scripted" }

func (p *scriptedProvider) Stream(_ context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	p.mu.Lock()
	p.reqs = append(p.reqs, req)
	first := len(p.reqs) == 1
	p.mu.Unlock()
	return func(yield func(llm.Event, error) bool) {
		events := []llm.Event{llm.TextDelta{Text: "Done."}, llm.Done{Reason: llm.StopEnd}}
		if first {
			events = []llm.Event{llm.ToolCall{ID: "c1", Name: "set_device",
				Arguments: json.RawMessage(`{"device":"the lamp by the sofa","values":{"state":"ON","brightness":90}}`)},
				llm.Done{Reason: llm.StopToolUse}}
		}
		for _, e := range events {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// TestChatSeesTheMCPTools: the chat loop's tool set is exactly the MCP
// tool list (names, descriptions, schemas) through the in-memory
// transport; a turn that switches the lamp runs the MCP tool against the
// hub and reports the device's state; the rules hold for the chat too.
func TestChatSeesTheMCPTools(t *testing.T) {
	d := mcpStack(t)
	ctx := t.Context()
	room, aliases := "Living room", []string{"the lamp by the sofa"}
	if _, err := d.mcp.SetDeviceContext(ctx, "living_room_lamp", mcp.ContextUpdate{Room: &room, Aliases: &aliases}); err != nil {
		t.Fatal(err)
	}
	tools := d.chatTools()
	defer tools.(*mcpTools).Close()
	got, err := tools.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := d.mcp.Connect(ctx, mcp.LocalOptions{Client: "reference"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want, err := l.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("chat has %d tools, MCP %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Description != want[i].Description || string(got[i].InputSchema) != string(want[i].InputSchema) {
			t.Errorf("tool %d: chat %+v, MCP %+v", i, got[i], want[i])
		}
	}

	p := &scriptedProvider{}
	loop, err := llm.NewLoop(llm.Config{Provider: p, Tools: tools, SystemPromptFunc: d.chatSystemPrompt})
	if err != nil {
		t.Fatal(err)
	}
	var chunks []llm.Chunk
	if _, err := loop.Run(ctx, []llm.Message{llm.UserMessage("turn on the lamp by the sofa")}, func(c llm.Chunk) error {
		chunks = append(chunks, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(p.reqs) != 2 {
		t.Fatalf("provider called %d times", len(p.reqs))
	}
	var names []string
	for _, tool := range p.reqs[0].Tools {
		names = append(names, tool.Name)
	}
	if !slices.Equal(names, []string{"get_device", "get_history", "list_devices", "list_rooms", "set_device", "set_device_context"}) {
		t.Errorf("the model saw %v", names)
	}
	if !strings.Contains(p.reqs[0].System, `living_room_lamp: light; also called "the lamp by the sofa"`) {
		t.Errorf("system prompt: %s", p.reqs[0].System)
	}
	var state map[string]any
	for _, c := range chunks {
		if c.Metadata != nil && c.Metadata["type"] == "device_state" {
			state, _ = c.Metadata["state"].(map[string]any)
		}
	}
	if state["state"] != "ON" || state["brightness"] != 90.0 {
		t.Errorf("device_state chunk: %v (chunks %v)", state, chunks)
	}
	if dev, _ := d.hub.Device("living_room_lamp"); dev.State["brightness"] != 90.0 {
		t.Errorf("the hub has %v", dev.State)
	}

	// get_history comes with a chart.
	if _, err := tools.Call(ctx, "set_device", json.RawMessage(`{"device":"living_room_lamp","values":{"brightness":30}}`)); err != nil {
		t.Fatal(err)
	}
	res, err := tools.Call(ctx, "get_history", json.RawMessage(`{"device":"living_room_lamp","property":"brightness"}`))
	if err != nil || res.IsError || res.Chart == nil || len(res.Chart.Points) < 2 {
		t.Errorf("get_history: %+v, %v", res, err)
	}

	// The household's rules hold for the chat too.
	ro := mcp.AccessReadOnly
	if _, err := d.mcp.SetDeviceContext(ctx, "living_room_lamp", mcp.ContextUpdate{Access: &ro}); err != nil {
		t.Fatal(err)
	}
	res, err = tools.Call(ctx, "set_device", json.RawMessage(`{"device":"living_room_lamp","values":{"state":"OFF"}}`))
	if err != nil || !res.IsError || !strings.Contains(res.Text, "read only") || res.Metadata != nil {
		t.Errorf("set on a read-only device: %+v, %v", res, err)
	}
	if _, err := tools.Call(ctx, "permit_join", json.RawMessage(`{"seconds":10,"confirm":true}`)); err == nil || !strings.Contains(err.Error(), "unknown tool") {
		t.Errorf("a guarded tool that is off: %v", err)
	}
}

// TestMCPAgainstDaemon runs the real binary: `zhub device context` edits
// the context through the socket, `zhub mcp` serves an MCP client on its
// stdin and stdout with the daemon's tools and rules, and /mcp on the HTTP
// server needs a token.
func TestMCPAgainstDaemon(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	cmd, logs := startServe(t, dataDir, addr)
	d := &cliDaemon{t: t, bin: zhubBinary(t), dataDir: dataDir, socket: filepath.Join(dataDir, "zhub.sock"), cmd: cmd, logs: logs}
	logs.wait(t, "embedded default paired", func(s string) bool { return strings.Contains(s, `"event":"sim_paired"`) })

	t.Run("device context", func(t *testing.T) {
		d := d.with(t)
		v := decodeStrict[mcp.DeviceContextView](t, "context", d.ok("device", "context", "living_room_lamp", "--room", "Living room",
			"--alias", "the lamp by the sofa", "--alias", "sofa lamp", "--notes", "warm white", "--json"))
		if v.Room != "Living room" || !slices.Equal(v.Aliases, []string{"the lamp by the sofa", "sofa lamp"}) || v.Rules.Access != mcp.AccessFull {
			t.Errorf("context: %+v", v)
		}
		out := d.ok("device", "context", "front_door", "--access", "read_only", "--deny", "state=UNLOCK")
		if !strings.Contains(out, "read only; never state=UNLOCK") {
			t.Errorf("context text: %s", out)
		}
		if out := d.ok("device", "context"); !strings.Contains(out, "living_room_lamp") || !strings.Contains(out, "Living room") {
			t.Errorf("context list: %s", out)
		}
		for _, bad := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"device", "context", "livng_room_lamp", "--room", "x"}, 1, `did you mean "living_room_lamp"`},
			{[]string{"device", "context", "front_door", "--access", "admin"}, 1, "access"},
			{[]string{"device", "context", "front_door", "--clear", "--room", "x"}, 2, "--clear"},
			{[]string{"device", "context", "--room", "x"}, 2, "NAME"},
		} {
			r := d.zhub(bad.args...)
			if r.code != bad.code || !strings.Contains(r.stderr, bad.want) {
				t.Errorf("zhub %v: exit %d, stderr %q", bad.args, r.code, r.stderr)
			}
		}
	})

	t.Run("zhub mcp", func(t *testing.T) {
		for _, version := range []string{"2025-11-25", "2026-07-28"} {
			c := exec.Command(d.bin, "mcp")
			c.Env = baseEnv(t, "ZHUB_SOCKET="+d.socket)
			client := sdk.NewClient(&sdk.Implementation{Name: "desktop", Version: "1"}, nil)
			cs, err := client.Connect(t.Context(), &sdk.CommandTransport{Command: c}, &sdk.ClientSessionOptions{ProtocolVersion: version})
			if err != nil {
				t.Fatal(err)
			}
			res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "set_device",
				Arguments: map[string]any{"device": "sofa lamp", "values": map[string]any{"state": "ON"}}})
			if err != nil || res.IsError {
				t.Errorf("%s: set_device: %+v, %v", version, res, err)
			}
			res, err = cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "set_device_context",
				Arguments: map[string]any{"device": "front_door", "room": "Hall"}})
			if err != nil || !res.IsError {
				t.Errorf("%s: context edit of a read-only device: %+v, %v", version, res, err)
			}
			if err := cs.Close(); err != nil {
				t.Errorf("%s: close: %v", version, err)
			}
		}
		// Without a daemon, zhub mcp says why on stderr and prints nothing.
		r := d.zhubEnv(nil, "mcp", "--socket", filepath.Join(t.TempDir(), "none.sock"))
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "daemon not running") {
			t.Errorf("zhub mcp without a daemon: %+v", r)
		}
	})

	t.Run("http", func(t *testing.T) {
		d := d.with(t)
		nt := decodeStrict[localapi.NewToken](t, "token create", d.ok("token", "create", "--name", "claude", "--json"))
		resp, err := http.Post("http://"+addr+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("without a token: %d", resp.StatusCode)
		}
		client := sdk.NewClient(&sdk.Implementation{Name: "remote", Version: "1"}, nil)
		cs, err := client.Connect(t.Context(), &sdk.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp",
			HTTPClient: &http.Client{Transport: tokenTransport(nt.Secret)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		lt, err := cs.ListTools(t.Context(), nil)
		if err != nil || len(lt.Tools) != 6 {
			t.Errorf("tools over HTTP: %v, %v", lt, err)
		}
	})
	stopServe(t, cmd, logs)
}

type tokenTransport string

func (tok tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(tok))
	return http.DefaultTransport.RoundTrip(r)
}

// TestGuardedToolNames: the configuration's mcp.guarded_tools accepts
// exactly the guarded tools the device context knows.
func TestGuardedToolNames(t *testing.T) {
	cfgNames := []string{config.GuardPermitJoin, config.GuardRenameDevice, config.GuardRemoveDevice}
	if !slices.Equal(cfgNames, mcp.GuardedTools) {
		t.Errorf("config %v, mcp %v", cfgNames, mcp.GuardedTools)
	}
	// A hub that is never run: New does no I/O.
	n, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	drv, err := znp.New(znp.Config{Open: n.OpenZNP})
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Config{Coordinator: drv})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range mcp.GuardedTools {
		cfg := config.Default()
		cfg.MCP.GuardedTools = []string{name}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := mcp.New(mcp.Config{Hub: h, GuardedTools: cfg.MCP.GuardedTools}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := mcp.New(mcp.Config{Hub: h, GuardedTools: []string{"reboot"}}); !errors.Is(err, mcp.ErrConfig) {
		t.Errorf("unknown guarded tool: %v", err)
	}
}
