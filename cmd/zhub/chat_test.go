package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/ws"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// afCounter reads the emulated dongle's trace (sim.Config.Trace) and
// counts the AF data requests the host sent: every command to a device
// goes out as one (AF_DATA_REQUEST, or its _EXT/_SRC_RTG forms).
type afCounter struct {
	mu   sync.Mutex
	n    int
	sent chan time.Time // one value per request, when seen (buffered, lossy)
}

func newAFCounter() *afCounter { return &afCounter{sent: make(chan time.Time, 1024)} }

func (a *afCounter) Write(p []byte) (int, error) {
	now := time.Now()
	for line := range bytes.SplitSeq(bytes.TrimSpace(p), []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) != 3 || string(f[1]) != ">" {
			continue
		}
		b, err := hex.DecodeString(string(f[2]))
		// SOF, length, cmd0 = SREQ|AF (0x24), cmd1 = 0x01..0x03.
		if err != nil || len(b) < 4 || b[2] != 0x24 || b[3] < 0x01 || b[3] > 0x03 {
			continue
		}
		a.mu.Lock()
		a.n++
		a.mu.Unlock()
		select {
		case a.sent <- now:
		default:
		}
	}
	return len(p), nil
}

func (a *afCounter) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// chatStack is a daemon as serve builds it, minus the binary: a real hub
// on the ZNP driver and the emulated dongle, SQLite, the MCP device
// context, the chat built by startChat from cfg.LLM, and the WebSocket
// gateway on a real HTTP server. living_room_lamp (colour light) and
// kitchen_light (dimmable) are paired.
type chatStack struct {
	d       *daemon
	net     *sim.Network
	af      *afCounter
	kitchen zigbee.IEEE
	addr    string
	token   string
}

// daemonGroup is the context and the group the daemon's parts run in, as
// serve's. At cleanup, which comes before hubtest's (cleanups run last in,
// first out), it cancels the context and waits for the group, so the parts
// stop before the hub, the store and the network under them.
func daemonGroup(t testing.TB) (context.Context, *errgroup.Group) {
	ctx, cancel := context.WithCancel(context.Background())
	g := &errgroup.Group{}
	t.Cleanup(func() {
		cancel()
		if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	})
	return ctx, g
}

func newChatStack(t testing.TB, llmCfg config.LLMConfig) *chatStack {
	t.Helper()
	defs := sim.DefaultDevices()
	lamp, kitchen := defs[0], defs[1]
	af := newAFCounter()
	// The network lives in memory (no sim.json): nothing here restarts
	// it, and the state file's fsyncs would slow every stack.
	e := hubtest.Start(t, hubtest.Options{Devices: []sim.DeviceSpec{lamp, kitchen}, Sim: func(c *sim.Config) {
		c.StatePath = ""
		c.Trace = af
	}})
	if _, err := e.Pair(t.Context(), e.Net, hubtest.Pairing{Devices: []zigbee.IEEE{lamp.IEEE, kitchen.IEEE},
		Names: map[zigbee.IEEE]string{lamp.IEEE: "living_room_lamp", kitchen.IEEE: "kitchen_light"}}); err != nil {
		t.Fatal(err)
	}
	// A known level to start from, so a change to 30% is a change.
	if _, err := e.Hub.Set(t.Context(), "kitchen_light", map[string]any{"state": "ON", "brightness": 254}); err != nil {
		t.Fatal(err)
	}

	ctx, g := daemonGroup(t)
	cfg := config.Default()
	cfg.DataDir = e.Dir
	cfg.MCP.Enabled = false // only the chat's in-memory session
	cfg.LLM = llmCfg
	cfg.HTTP.Listen = "127.0.0.1:0"
	d := &daemon{cfg: cfg, hub: e.Hub, store: e.Store, log: hubtest.Logger(t).With("module", "daemon"), health: ws.NewHealthTracker()}
	if err := d.startMCP(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := d.startChat(ctx, g); err != nil {
		t.Fatal(err)
	}
	var err error
	d.http, err = ws.New(ws.Config{Listen: cfg.HTTP.Listen, Health: d.health})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.http.Listen(); err != nil {
		t.Fatal(err)
	}
	g.Go(func() error { return d.http.Run(ctx) })
	saved := loginOut
	loginOut = &bytes.Buffer{}
	err = d.startGateway(ctx, g)
	loginOut = saved
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := d.authTokens()
	if err != nil {
		t.Fatal(err)
	}
	secret, err := tokens.Create(ctx, "chat-test")
	if err != nil {
		t.Fatal(err)
	}
	return &chatStack{d: d, net: e.Net, af: af, kitchen: kitchen.IEEE, addr: d.http.Addr().String(), token: secret}
}

// kitchenLevel is the virtual light's level as the emulated device holds it.
func (s *chatStack) kitchenLevel(t testing.TB) uint8 {
	t.Helper()
	in, err := s.net.Device(t.Context(), s.kitchen)
	if err != nil {
		t.Fatal(err)
	}
	return in.Level
}

// wsClient is a WebSocket connection to the gateway.
type wsClient struct {
	c *websocket.Conn
}

func (s *chatStack) dial(t testing.TB) *wsClient {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/ws", http.Header{"Authorization": {"Bearer " + s.token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var welcome ws.Response
	if err := c.ReadJSON(&welcome); err != nil {
		t.Fatal(err)
	}
	return &wsClient{c: c}
}

// answer is one chat request's responses, in order.
type answer struct {
	text   string
	status string // the terminal status
	chunks []ws.Chunk
	err    map[string]any // the error chunk's metadata
	errMsg string         // and its text
	order  []string       // "text", "tool_call", "tool_result", "device_state", "image", ...
}

func (a answer) metadata(typ string) []map[string]any {
	var out []map[string]any
	for _, c := range a.chunks {
		if c.Metadata != nil && c.Metadata["type"] == typ {
			out = append(out, c.Metadata)
		}
	}
	return out
}

func (w *wsClient) send(t testing.TB, id, session, text string) {
	t.Helper()
	if err := w.c.WriteJSON(map[string]any{"action": "chat", "request_id": id, "payload": map[string]any{"text": text, "session": session}}); err != nil {
		t.Fatal(err)
	}
}

func (w *wsClient) read(t testing.TB, id string) answer {
	t.Helper()
	var a answer
	var b strings.Builder
	_ = w.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		var r ws.Response
		if err := w.c.ReadJSON(&r); err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		if r.RequestID != id {
			continue
		}
		switch r.Status {
		case ws.StatusProcessing:
		case ws.StatusChunk:
			a.chunks = append(a.chunks, *r.Chunk)
			switch {
			case r.Chunk.Text != "":
				b.WriteString(r.Chunk.Text)
				if len(a.order) == 0 || a.order[len(a.order)-1] != "text" {
					a.order = append(a.order, "text")
				}
			case r.Chunk.Image != nil:
				a.order = append(a.order, "image")
			case r.Chunk.Metadata != nil:
				typ, _ := r.Chunk.Metadata["type"].(string)
				a.order = append(a.order, typ)
			}
		default:
			a.status = r.Status
			if r.Chunk != nil {
				a.err, a.errMsg = r.Chunk.Metadata, r.Chunk.Text
			}
			a.text = b.String()
			return a
		}
	}
}

func (w *wsClient) chat(t testing.TB, id, session, text string) answer {
	t.Helper()
	w.send(t, id, session, text)
	return w.read(t, id)
}

// fakeLLM starts a replay server for provider and returns the [llm]
// configuration that points the daemon at it.
func fakeLLM(t *testing.T, provider string, files ...string) (*llmtest.Server, config.LLMConfig) {
	t.Helper()
	srv := llmtest.NewServer(t, filepath.Join("testdata", "chat"), files...)
	t.Setenv("ZHUB_TEST_LLM_KEY", "sk-test-not-a-secret")
	base := srv.URL
	if provider == config.ProviderOpenAI {
		base += "/v1"
	}
	return srv, config.LLMConfig{Provider: provider, Model: "test-model", BaseURL: base, APIKeyEnv: "ZHUB_TEST_LLM_KEY",
		Timeout: 30 * time.Second, MaxToolIterations: 8}
}

// TestChatDimsTheKitchenLight is acceptance 2: over the WebSocket, with
// the offline rules and with each cloud/local adapter against a replay
// server, "dim the kitchen light to 30%" calls set_device through MCP, the
// virtual light's level changes in the emulated dongle, the stream carries
// the tool call, its result and the state the device reported back, the
// answer mentions the result, and the request completes.
func TestChatDimsTheKitchenLight(t *testing.T) {
	for _, tc := range []struct {
		provider string
		files    []string
	}{
		{config.ProviderRules, nil},
		{config.ProviderOpenAI, []string{"openai_dim.sse", "openai_answer.sse"}},
		{config.ProviderAnthropic, []string{"anthropic_dim.sse", "anthropic_answer.sse"}},
		{config.ProviderOllama, []string{"ollama_dim.ndjson", "ollama_answer.ndjson"}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			cfg := config.Default().LLM
			var srv *llmtest.Server
			if tc.files != nil {
				srv, cfg = fakeLLM(t, tc.provider, tc.files...)
			}
			s := newChatStack(t, cfg)
			if h := s.d.health.Report("").Components["llm"]; h.State != ws.StateOK || h.Detail["provider"] != tc.provider {
				t.Errorf("/health llm: %+v", h)
			}
			if lvl := s.kitchenLevel(t); lvl != 254 {
				t.Fatalf("kitchen light starts at %d", lvl)
			}
			before := s.af.count()
			a := s.dial(t).chat(t, "c1", "e2e", "dim the kitchen light to 30%")
			if a.status != ws.StatusComplete {
				t.Fatalf("chat ended %q (%v): %q", a.status, a.err, a.text)
			}
			if lvl := s.kitchenLevel(t); lvl != 76 {
				t.Errorf("the virtual light's level is %d, want 76 (30%%)", lvl)
			}
			if s.af.count() <= before {
				t.Errorf("no AF data request went to the dongle")
			}
			calls := a.metadata("tool_call")
			var set map[string]any
			for _, c := range calls {
				if c["tool"] == "set_device" {
					set = c
				}
			}
			if set == nil {
				t.Fatalf("no set_device tool call in %v", a.order)
			}
			if args, _ := json.Marshal(set["arguments"]); !strings.Contains(string(args), `"device":"kitchen_light"`) {
				t.Errorf("set_device arguments %s", args)
			}
			states := a.metadata("device_state")
			if len(states) != 1 {
				t.Fatalf("device_state chunks %v (order %v)", states, a.order)
			}
			st, _ := states[0]["state"].(map[string]any)
			if states[0]["device"] != "kitchen_light" || st["brightness"] != 76.0 {
				t.Errorf("device_state %v", states[0])
			}
			if !strings.Contains(a.text, "30%") {
				t.Errorf("the answer does not mention the result: %q", a.text)
			}
			// The reported state comes after the tool result and before
			// the final text.
			iState, iResult := slices.Index(a.order, "device_state"), slices.Index(a.order, "tool_result")
			if iResult < 0 || iState < iResult || slices.Index(a.order[iState:], "text") < 0 {
				t.Errorf("chunk order %v", a.order)
			}
			if srv != nil {
				reqs := srv.Requests()
				if len(reqs) != 2 {
					t.Fatalf("%d requests to the model", len(reqs))
				}
				// The model read the state the device reported back.
				if !bytes.Contains(reqs[1].Body, []byte(`brightness`)) || !bytes.Contains(reqs[1].Body, []byte(`76`)) {
					t.Errorf("the second request does not carry the tool result: %s", reqs[1].Body)
				}
				for _, r := range reqs {
					if bytes.Contains(r.Body, []byte("sk-test-not-a-secret")) {
						t.Errorf("the API key is in a request body")
					}
				}
			}
		})
	}
}

// sse is an OpenAI Chat Completions stream built in code: text, or one
// tool call.
func openaiSSE(text, tool, args string) llmtest.Response {
	var b strings.Builder
	b.WriteString("HTTP 200\nContent-Type: text/event-stream\n\n")
	chunk := func(delta, finish string) {
		fmt.Fprintf(&b, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`+"\n\n", delta, finish)
	}
	if tool != "" {
		a, _ := json.Marshal(args)
		chunk(fmt.Sprintf(`{"role":"assistant","tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":%q,"arguments":%s}}]}`, tool, a), "null")
		chunk(`{}`, `"tool_calls"`)
	} else {
		t, _ := json.Marshal(text)
		chunk(fmt.Sprintf(`{"role":"assistant","content":%s}`, t), "null")
		chunk(`{}`, `"stop"`)
	}
	b.WriteString("data: [DONE]\n\n")
	r, err := llmtest.ParseResponse([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return r
}

// TestChatSafety is acceptance 4: a model asking for a disallowed tool, an
// invalid argument, a device that does not exist, an unlock, or looping on
// tool calls is refused with a clear message, and nothing goes to the radio.
func TestChatSafety(t *testing.T) {
	type step struct{ tool, args string }
	for _, tc := range []struct {
		name  string
		steps []step
		// want is in the tool result the model reads back (first call).
		want string
		// loop: the model never stops calling tools.
		loop bool
	}{
		{name: "disallowed tool", steps: []step{{"remove_device", `{"device":"kitchen_light","confirm":true}`}},
			want: `tool "remove_device" is not available in this chat`},
		{name: "permit join is off", steps: []step{{"permit_join", `{"seconds":60,"confirm":true}`}},
			want: `tool "permit_join" is not available in this chat`},
		{name: "invalid argument", steps: []step{{"set_device", `{"device":"kitchen_light","values":{"brightness":"very bright"}}`}},
			want: "brightness"},
		{name: "out of range", steps: []step{{"set_device", `{"device":"kitchen_light","values":{"brightness":9000}}`}},
			want: "brightness"},
		{name: "unknown property", steps: []step{{"set_device", `{"device":"kitchen_light","values":{"color_temp":300}}`}},
			want: "color_temp"},
		{name: "unknown device", steps: []step{{"set_device", `{"device":"garage_door","values":{"state":"ON"}}`}},
			want: "garage_door"},
		{name: "unlock", steps: []step{{"set_device", `{"device":"kitchen_light","values":{"state":"UNLOCK"}}`}},
			want: "unlocking is not allowed from the chat"},
		{name: "not an object", steps: []step{{"set_device", `["kitchen_light"]`}},
			want: "must be a JSON object"},
		{name: "endless tool loop", loop: true, steps: []step{{"get_device", `{"device":"kitchen_light"}`}}, want: "kitchen_light"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const maxIter = 3
			var resps []llmtest.Response
			if tc.loop {
				for range maxIter {
					resps = append(resps, openaiSSE("", tc.steps[0].tool, tc.steps[0].args))
				}
			} else {
				for _, s := range tc.steps {
					resps = append(resps, openaiSSE("", s.tool, s.args))
				}
				resps = append(resps, openaiSSE("I could not do that.", "", ""))
			}
			srv := llmtest.NewServerResponses(t, resps...)
			t.Setenv("ZHUB_TEST_LLM_KEY", "sk-test")
			s := newChatStack(t, config.LLMConfig{Provider: config.ProviderOpenAI, Model: "m", BaseURL: srv.URL + "/v1",
				APIKeyEnv: "ZHUB_TEST_LLM_KEY", Timeout: 30 * time.Second, MaxToolIterations: maxIter})
			before := s.af.count()
			a := s.dial(t).chat(t, "c1", "safety", "do something risky")
			results := a.metadata("tool_result")
			if len(results) == 0 {
				t.Fatalf("no tool result (order %v, status %s %v)", a.order, a.status, a.err)
			}
			if tc.loop {
				if a.status != ws.StatusError || !strings.Contains(a.errMsg, "stopped after 3 rounds of tool calls without a final answer") {
					t.Errorf("endless loop ended %q with %v %q", a.status, a.err, a.errMsg)
				}
				if len(srv.Requests()) != maxIter {
					t.Errorf("%d model calls, want %d", len(srv.Requests()), maxIter)
				}
			} else {
				if a.status != ws.StatusComplete {
					t.Errorf("chat ended %q (%v)", a.status, a.err)
				}
				if results[0]["is_error"] != true {
					t.Errorf("tool result not an error: %v", results[0])
				}
				if len(a.metadata("device_state")) != 0 {
					t.Errorf("a refused call reported a device state")
				}
				// The model read the refusal.
				reqs := srv.Requests()
				if len(reqs) < 2 || !bytes.Contains(reqs[1].Body, []byte(jsonQuoteInner(tc.want))) {
					t.Errorf("the model was not told %q", tc.want)
				}
			}
			res, _ := json.Marshal(results[0]["result"])
			t.Logf("the model was told: %s", res)
			if !strings.Contains(string(res), jsonQuoteInner(tc.want)) {
				t.Errorf("tool result %s does not say %q", res, tc.want)
			}
			if n := s.af.count() - before; n != 0 {
				t.Errorf("%d AF data requests went to the radio", n)
			}
			if lvl := s.kitchenLevel(t); lvl != 254 {
				t.Errorf("the kitchen light changed to %d", lvl)
			}
		})
	}
}

// jsonQuoteInner is s as it appears inside a JSON string.
func jsonQuoteInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestChatToolsAreTheMCPTools is acceptance 5 on the daemon's chat: the
// model is offered exactly what a Go SDK client lists from the MCP server,
// and a change the device context forbids is refused to the chat with the
// same words as to an external MCP client, with nothing sent to the radio.
func TestChatToolsAreTheMCPTools(t *testing.T) {
	srv := llmtest.NewServerResponses(t,
		openaiSSE("", "set_device", `{"device":"kitchen_light","values":{"state":"OFF"}}`),
		openaiSSE("The household does not allow that.", "", ""))
	t.Setenv("ZHUB_TEST_LLM_KEY", "sk-test")
	s := newChatStack(t, config.LLMConfig{Provider: config.ProviderOpenAI, Model: "m", BaseURL: srv.URL + "/v1",
		APIKeyEnv: "ZHUB_TEST_LLM_KEY", Timeout: 30 * time.Second, MaxToolIterations: 4})
	ctx := t.Context()
	ro := mcp.AccessReadOnly
	if _, err := s.d.mcp.SetDeviceContext(ctx, "kitchen_light", mcp.ContextUpdate{Access: &ro}); err != nil {
		t.Fatal(err)
	}
	before := s.af.count()
	a := s.dial(t).chat(t, "c1", "rules", "switch the kitchen light off")
	if a.status != ws.StatusComplete {
		t.Fatalf("chat ended %q (%v)", a.status, a.err)
	}

	// An external client: the SDK's own ListTools and CallTool.
	ext, err := s.d.mcp.Connect(ctx, mcp.LocalOptions{Client: "external"})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	lt, err := ext.Session().ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	type tool struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	}
	var want []tool
	for _, tl := range lt.Tools {
		schema, _ := json.Marshal(tl.InputSchema)
		want = append(want, tool{tl.Name, tl.Description, schema})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Name < want[j].Name })
	var body struct {
		Tools []struct {
			Function tool `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(srv.Requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	var got []tool
	for _, tl := range body.Tools {
		got = append(got, tl.Function)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("the model saw %d tools, MCP lists %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Description != want[i].Description || !jsonEqual(got[i].Parameters, want[i].Parameters) {
			t.Errorf("tool %s: the model saw\n%s %s\nMCP lists\n%s %s", want[i].Name, got[i].Description, got[i].Parameters,
				want[i].Description, want[i].Parameters)
		}
	}

	res, err := ext.Session().CallTool(ctx, &sdk.CallToolParams{Name: "set_device",
		Arguments: map[string]any{"device": "kitchen_light", "values": map[string]any{"state": "OFF"}}})
	if err != nil || !res.IsError || len(res.Content) == 0 {
		t.Fatalf("external set on a read-only device: %+v, %v", res, err)
	}
	extText := res.Content[0].(*sdk.TextContent).Text
	results := a.metadata("tool_result")
	if len(results) != 1 || results[0]["is_error"] != true || results[0]["result"] != extText || !strings.Contains(extText, "read only") {
		t.Errorf("the chat was told %v, an external client %q", results, extText)
	}
	if n := s.af.count() - before; n != 0 {
		t.Errorf("%d AF data requests went to the radio", n)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// TestChatMemoryPersists: a conversation is saved in SQLite after each
// turn and read back by a fresh chat service (a restart), so "turn it off"
// still knows which light; other sessions do not see it.
func TestChatMemoryPersists(t *testing.T) {
	s := newChatStack(t, config.Default().LLM)
	c := s.dial(t)
	if a := c.chat(t, "c1", "mem", "dim the kitchen light to 30%"); a.status != ws.StatusComplete {
		t.Fatalf("first turn: %s %v", a.status, a.err)
	}
	raw, err := s.d.store.Conversation(t.Context(), "chat-test/mem")
	if err != nil {
		t.Fatalf("stored conversation: %v", err)
	}
	var conv []llm.Message
	if err := json.Unmarshal(raw, &conv); err != nil || len(conv) < 4 || conv[0].Text != "dim the kitchen light to 30%" {
		t.Fatalf("stored conversation %s: %v", raw, err)
	}

	// A new chat service on the same store (as after a restart) answers
	// a follow-up from the stored turn.
	loop := s.d.chat.(*loopChat).loop
	fresh := newLoopChat(loop, s.d.store, nil)
	var text strings.Builder
	emit := func(ch ws.Chunk) error { text.WriteString(ch.Text); return nil }
	if err := fresh.Chat(t.Context(), "chat-test/mem", "turn it off", emit); err != nil {
		t.Fatal(err)
	}
	if in, err := s.net.Device(t.Context(), s.kitchen); err != nil || in.OnOff {
		t.Errorf("after \"turn it off\" the kitchen light is on=%v (%v); answer %q", in.OnOff, err, text.String())
	}
	text.Reset()
	if err := fresh.Chat(t.Context(), "other", "turn it on", emit); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.net.Device(t.Context(), s.kitchen); in.OnOff {
		t.Errorf("another session's \"it\" switched the kitchen light on: %q", text.String())
	}
}

// TestChatProviderConfig: each [llm] provider builds; a missing API key
// variable is an error that names the variable and never a value, and the
// chat then says so instead of failing silently.
func TestChatProviderConfig(t *testing.T) {
	t.Setenv("ZHUB_TEST_LLM_KEY", "sk-test-secret-value")
	for _, tc := range []struct {
		name    string
		llm     config.LLMConfig
		want    string // provider name, or "" for an error
		wantErr string
	}{
		{"rules", config.LLMConfig{Provider: "rules"}, "rules", ""},
		{"openai", config.LLMConfig{Provider: "openai", APIKeyEnv: "ZHUB_TEST_LLM_KEY"}, "openai", ""},
		{"openai-compatible without key", config.LLMConfig{Provider: "openai", BaseURL: "http://127.0.0.1:8080/v1", Model: "local"}, "openai", ""},
		{"anthropic", config.LLMConfig{Provider: "anthropic", APIKeyEnv: "ZHUB_TEST_LLM_KEY"}, "anthropic", ""},
		{"anthropic without key", config.LLMConfig{Provider: "anthropic"}, "", "api_key_env"},
		{"ollama", config.LLMConfig{Provider: "ollama"}, "ollama", ""},
		{"unset key variable", config.LLMConfig{Provider: "openai", APIKeyEnv: "ZHUB_TEST_UNSET_KEY"}, "", "ZHUB_TEST_UNSET_KEY"},
		{"unknown provider", config.LLMConfig{Provider: "gpt"}, "", "gpt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.LLM = tc.llm
			p, err := newChatProvider(c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "sk-test-secret-value") {
					t.Errorf("error %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || p.Name() != tc.want {
				t.Errorf("provider %v, %v", p, err)
			}
		})
	}

	d := &daemon{cfg: config.Default(), log: slog.New(slog.DiscardHandler), health: ws.NewHealthTracker()}
	d.cfg.LLM = config.LLMConfig{Provider: "openai", APIKeyEnv: "ZHUB_TEST_UNSET_KEY"}
	d.mcp = &mcp.Server{} // non-nil: the provider is what fails
	if err := d.startChat(t.Context(), &errgroup.Group{}); err != nil {
		t.Fatal(err)
	}
	if h := d.health.Report("").Components["llm"]; h.State != ws.StateError || !strings.Contains(h.LastError, "ZHUB_TEST_UNSET_KEY") {
		t.Errorf("/health llm %+v", h)
	}
	var text strings.Builder
	if err := d.chatService().Chat(t.Context(), "s", "hi", func(c ws.Chunk) error { text.WriteString(c.Text); return nil }); err != nil ||
		!strings.Contains(text.String(), "ZHUB_TEST_UNSET_KEY") {
		t.Errorf("broken chat said %q, %v", text.String(), err)
	}

	d = &daemon{cfg: config.Default(), log: slog.New(slog.DiscardHandler), health: ws.NewHealthTracker()}
	if err := d.startChat(t.Context(), &errgroup.Group{}); err != nil {
		t.Fatal(err)
	}
	if h := d.health.Report("").Components["llm"]; h.State != ws.StateDisabled || d.chatService() == nil {
		t.Errorf("without a hub: /health llm %+v", h)
	}
}

// TestChatAllow: guarded tools reach the chat only when configured.
func TestChatAllow(t *testing.T) {
	c := config.Default()
	allow := chatAllow(c)
	for _, name := range []string{"list_devices", "set_device", "get_history"} {
		if !allow(name) {
			t.Errorf("%s refused by default", name)
		}
	}
	for _, name := range guardedChatTools {
		if allow(name) {
			t.Errorf("%s allowed by default", name)
		}
	}
	c.MCP.GuardedTools = []string{config.GuardPermitJoin}
	allow = chatAllow(c)
	if !allow(config.GuardPermitJoin) || allow(config.GuardRemoveDevice) {
		t.Errorf("with permit_join guarded: permit_join %v, remove_device %v", allow(config.GuardPermitJoin), allow(config.GuardRemoveDevice))
	}
}

// BenchmarkChatToRadio is acceptance 6: the chat's own overhead, without
// model time (the rules provider), from a chat request written to the
// WebSocket to the device command on the wire (the AF data request the
// emulated dongle receives), p50 and p99.
func BenchmarkChatToRadio(b *testing.B) {
	s := newChatStack(b, config.Default().LLM)
	c := s.dial(b)
	// drain the AF requests seen so far
	for len(s.af.sent) > 0 {
		<-s.af.sent
	}
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		pct := 20 + 20*(i%2)
		id := fmt.Sprintf("b%d", i)
		t0 := time.Now()
		c.send(b, id, fmt.Sprintf("bench-%d", i), fmt.Sprintf("set the kitchen light to %d%%", pct))
		select {
		case at := <-s.af.sent:
			lat = append(lat, at.Sub(t0))
		case <-time.After(30 * time.Second):
			b.Fatal("no AF data request")
		}
		if a := c.read(b, id); a.status != ws.StatusComplete {
			b.Fatalf("chat ended %q %v", a.status, a.err)
		}
		for len(s.af.sent) > 0 {
			<-s.af.sent
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
