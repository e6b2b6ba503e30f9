package anthropic_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/anthropic"
	"github.com/zhubhq/zhub/llm/llmtest"
)

func newProvider(t testing.TB, srv *llmtest.Server, idle time.Duration) *anthropic.Provider {
	t.Helper()
	p, err := anthropic.New(anthropic.Config{Model: "claude-sonnet-4-5", APIKey: "sk-ant-test", BaseURL: srv.URL, IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// adapter runs the checks every adapter shares (llmtest.Adapter).
var adapter = llmtest.Adapter{Name: "anthropic", Ext: ".sse",
	New: func(t testing.TB, srv *llmtest.Server, idle time.Duration) llm.Provider {
		return newProvider(t, srv, idle)
	}}

func request() llm.Request { return llmtest.DeviceRequest() }

func TestStream(t *testing.T) {
	adapter.CheckStreams(t, []llmtest.StreamCase{
		{Name: "text", Fixture: "text.sse", Want: []llm.Event{
			llm.TextDelta{Text: "Done — "}, llm.TextDelta{Text: "the light is at 30%."},
			llm.Usage{InputTokens: 812, OutputTokens: 14}, llm.Done{Reason: llm.StopEnd, Raw: "end_turn"},
		}},
		{Name: "tool call in fragments", Fixture: "tool_fragments.sse", Want: []llm.Event{
			llm.TextDelta{Text: "Dimming the kitchen light."},
			llm.ToolCall{ID: "toolu_01A", Name: "set_device", Arguments: json.RawMessage(`{"name": "kitchen_light", "values": {"brightness": 76}}`)},
			llm.Usage{InputTokens: 812, OutputTokens: 64}, llm.Done{Reason: llm.StopToolUse, Raw: "tool_use"},
		}},
		{Name: "parallel tool calls and one without input", Fixture: "parallel.sse", Want: []llm.Event{
			llm.ToolCall{ID: "toolu_01A", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			llm.ToolCall{ID: "toolu_01B", Name: "get_device", Arguments: json.RawMessage(`{"name":"front_door"}`)},
			llm.ToolCall{ID: "toolu_01C", Name: "list_rooms", Arguments: json.RawMessage(`{}`)},
			llm.Usage{InputTokens: 812, OutputTokens: 80}, llm.Done{Reason: llm.StopToolUse, Raw: "tool_use"},
		}},
		// A proxy that drops the event: lines loses nothing: events are
		// told apart by the type key of their data (the SDK used to skip
		// them, so the answer came out empty).
		{Name: "events without event lines", Fixture: "no_event_lines.sse", Want: []llm.Event{
			llm.TextDelta{Text: "lost"}, llm.Usage{InputTokens: 812, OutputTokens: 1}, llm.Done{Reason: llm.StopOther},
		}},
	})
}

func TestRequestWireFormat(t *testing.T) {
	srv := llmtest.NewServer(t, "testdata", "answer.sse")
	req := request()
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, Text: "Dimming the kitchen light.", ToolCalls: []llm.ToolCall{
			{ID: "toolu_01A", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			{ID: "toolu_01B", Name: "get_device", Arguments: json.RawMessage(`{"name":"hall"}`)},
		}},
		llm.Message{Role: llm.RoleTool, ToolCallID: "toolu_01A", ToolName: "set_device", Text: `{"state":"ON","brightness":76}`},
		llm.Message{Role: llm.RoleTool, ToolCallID: "toolu_01B", ToolName: "get_device", Text: "device 'hall' is offline", IsError: true},
	)
	if _, err := llmtest.Collect(newProvider(t, srv, 0).Stream(t.Context(), req)); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/v1/messages" {
		t.Errorf("path %s", r.Path)
	}
	if r.Header.Get("X-Api-Key") != "sk-ant-test" {
		t.Errorf("x-api-key = %q", r.Header.Get("X-Api-Key"))
	}
	if a := r.Header.Get("Authorization"); a != "" {
		t.Errorf("the API key also went out as Authorization %q", a)
	}
	if v := r.Header.Get("Anthropic-Version"); v != "2026-10-21" && v != "2023-06-01" {
		t.Errorf("anthropic-version = %q", v)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"temperature", "top_p", "top_k"} {
		if _, ok := raw[k]; ok {
			t.Errorf("%s sent; API version 2026-10-21 rejects it", k)
		}
	}
	var body struct {
		Model     string `json:"model"`
		MaxTokens int    `json:"max_tokens"`
		Stream    bool   `json:"stream"`
		System    []struct{ Type, Text string }
		Messages  []struct {
			Role    string `json:"role"`
			Content []struct {
				Type      string          `json:"type"`
				Text      string          `json:"text"`
				ID        string          `json:"id"`
				Name      string          `json:"name"`
				Input     json.RawMessage `json:"input"`
				ToolUseID string          `json:"tool_use_id"`
				IsError   bool            `json:"is_error"`
				Content   []struct{ Type, Text string }
			} `json:"content"`
		} `json:"messages"`
		Tools []struct {
			Name        string         `json:"name"`
			InputSchema map[string]any `json:"input_schema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Model != "claude-sonnet-4-5" || body.MaxTokens != 1024 || !body.Stream {
		t.Errorf("model/max_tokens/stream: %s", r.Body)
	}
	if len(body.System) != 1 || body.System[0].Text != "You control a Zigbee home." {
		t.Errorf("system: %+v", body.System)
	}
	if len(body.Messages) != 3 || body.Messages[0].Role != "user" || body.Messages[1].Role != "assistant" || body.Messages[2].Role != "user" {
		t.Fatalf("turns: %s", r.Body)
	}
	a := body.Messages[1].Content
	if len(a) != 3 || a[0].Type != "text" || a[1].Type != "tool_use" || a[1].ID != "toolu_01A" || a[2].Name != "get_device" {
		t.Errorf("assistant turn: %+v", a)
	}
	var in map[string]any
	if err := json.Unmarshal(a[1].Input, &in); err != nil || in["name"] != "kitchen_light" {
		t.Errorf("tool_use input %s is not the object the model sent", a[1].Input)
	}
	res := body.Messages[2].Content
	if len(res) != 2 || res[0].Type != "tool_result" || res[0].ToolUseID != "toolu_01A" || res[0].IsError ||
		res[1].ToolUseID != "toolu_01B" || !res[1].IsError || res[1].Content[0].Text != "device 'hall' is offline" {
		t.Errorf("tool results: %+v", res)
	}
	if len(body.Tools) != 5 || body.Tools[2].Name != "set_device" || body.Tools[2].InputSchema["type"] != "object" ||
		body.Tools[2].InputSchema["additionalProperties"] != false || body.Tools[2].InputSchema["properties"] == nil {
		t.Errorf("tools: %+v", body.Tools)
	}
}

func TestErrors(t *testing.T) {
	adapter.CheckErrors(t, []llmtest.ErrorCase{
		{Name: "401", Fixture: "http401.txt", Want: llm.ErrAuth, Status: 401},
		{Name: "429 with Retry-After", Fixture: "http429.txt", Want: llm.ErrRateLimit, Status: 429, RetryAfter: 7 * time.Second},
		{Name: "500", Fixture: "http500.txt", Want: llm.ErrUnavailable, Status: 500},
		{Name: "529 overloaded", Fixture: "http529.txt", Want: llm.ErrOverloaded, Status: 529, Msg: "Overloaded"},
		{Name: "400 invalid request", Fixture: "http400.txt", Want: llm.ErrBadRequest, Status: 400, Msg: "temperature: Extra inputs are not permitted"},
		{Name: "error event mid-stream", Fixture: "error_midstream.sse", Want: llm.ErrOverloaded, Msg: "Overloaded"},
		{Name: "malformed JSON", Fixture: "malformed.sse", Want: llm.ErrMalformedStream},
		{Name: "stream ends before message_stop", Fixture: "truncated.sse", Want: llm.ErrMalformedStream},
		{Name: "connection cut", Fixture: "cut.sse", Want: llm.ErrUnavailable},
	})
}

func TestStallTimesOut(t *testing.T) { adapter.CheckStall(t) }

func TestCancel(t *testing.T) { adapter.CheckCancel(t) }

func TestNoEnvironmentKey(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-from-env")
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	srv := llmtest.NewServer(t, "testdata", "text.sse")
	p, err := anthropic.New(anthropic.Config{Model: "m", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := llmtest.Collect(p.Stream(t.Context(), request())); err != nil {
		t.Fatal(err)
	}
	if k := srv.Requests()[0].Header.Get("X-Api-Key"); k != "" {
		t.Errorf("a key from the environment was sent: %q", k)
	}
}
