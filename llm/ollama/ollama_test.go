package ollama_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/ollama"
)

func newProvider(t testing.TB, srv *llmtest.Server, idle time.Duration) *ollama.Provider {
	t.Helper()
	p, err := ollama.New(ollama.Config{Model: "qwen3", BaseURL: srv.URL, IdleTimeout: idle, NumCtx: 8192, KeepAlive: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// adapter runs the checks every adapter shares (llmtest.Adapter).
var adapter = llmtest.Adapter{Name: "ollama", Ext: ".ndjson",
	New: func(t testing.TB, srv *llmtest.Server, idle time.Duration) llm.Provider {
		return newProvider(t, srv, idle)
	}}

func request() llm.Request { return llmtest.DeviceRequest() }

func TestStream(t *testing.T) {
	usage := llm.Usage{InputTokens: 169, OutputTokens: 15}
	adapter.CheckStreams(t, []llmtest.StreamCase{
		{Name: "text", Fixture: "text.ndjson", Want: []llm.Event{
			llm.TextDelta{Text: "Done — "}, llm.TextDelta{Text: "the light is at 30%."}, usage, llm.Done{Reason: llm.StopEnd, Raw: "stop"},
		}},
		{Name: "tool call (thinking ignored)", Fixture: "tool_call.ndjson", Want: []llm.Event{
			llm.ToolCall{ID: "ollama_1", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			usage, llm.Done{Reason: llm.StopToolUse, Raw: "stop"},
		}},
		{Name: "parallel tool calls", Fixture: "parallel.ndjson", Want: []llm.Event{
			llm.ToolCall{ID: "call_k1", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			llm.ToolCall{ID: "call_k2", Name: "get_device", Arguments: json.RawMessage(`{"name":"front_door"}`)},
			usage, llm.Done{Reason: llm.StopToolUse, Raw: "stop"},
		}},
	})
}

func TestRequestWireFormat(t *testing.T) {
	srv := llmtest.NewServer(t, "testdata", "answer.ndjson")
	req := request()
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
			{ID: "call_k1", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
		}},
		llm.Message{Role: llm.RoleTool, ToolCallID: "call_k1", ToolName: "set_device", Text: "device offline", IsError: true},
	)
	if _, err := llmtest.Collect(newProvider(t, srv, 0).Stream(t.Context(), req)); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/api/chat" {
		t.Errorf("path %s", r.Path)
	}
	var body struct {
		Model     string `json:"model"`
		Stream    bool   `json:"stream"`
		Think     *bool  `json:"think"`
		KeepAlive string `json:"keep_alive"`
		Options   struct {
			NumCtx int `json:"num_ctx"`
		} `json:"options"`
		Messages []struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolName  string `json:"tool_name"`
			ToolCalls []struct {
				Function struct {
					Name      string         `json:"name"`
					Arguments map[string]any `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"messages"`
		Tools []struct {
			Type     string `json:"type"`
			Function struct {
				Name       string         `json:"name"`
				Parameters map[string]any `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Model != "qwen3" || !body.Stream || body.Think == nil || *body.Think || body.KeepAlive != "10m" || body.Options.NumCtx != 8192 {
		t.Errorf("request options: %s", r.Body)
	}
	if len(body.Messages) != 4 || body.Messages[0].Role != "system" || body.Messages[2].Role != "assistant" {
		t.Fatalf("messages: %s", r.Body)
	}
	if tc := body.Messages[2].ToolCalls; len(tc) != 1 || tc[0].Function.Name != "set_device" || tc[0].Function.Arguments["name"] != "kitchen_light" {
		t.Errorf("assistant tool calls (arguments must be an object): %s", r.Body)
	}
	if m := body.Messages[3]; m.Role != "tool" || m.ToolName != "set_device" || m.Content != "error: device offline" {
		t.Errorf("tool message: %+v", m)
	}
	if len(body.Tools) != 5 || body.Tools[0].Type != "function" || body.Tools[0].Function.Parameters["type"] != "object" {
		t.Errorf("tools: %s", r.Body)
	}
}

func TestErrors(t *testing.T) {
	adapter.CheckErrors(t, []llmtest.ErrorCase{
		{Name: "400 model without tools", Fixture: "http400_tools.txt", Want: llm.ErrBadRequest, Status: 400, Msg: "registry.ollama.ai/library/gemma:2b does not support tools"},
		{Name: "404 model not pulled", Fixture: "http404.txt", Want: llm.ErrBadRequest, Status: 404, Msg: `model "qwen3" not found, try pulling it first`},
		{Name: "401 from a proxy", Fixture: "http401.txt", Want: llm.ErrAuth, Status: 401, Msg: "unauthorized"},
		{Name: "429", Fixture: "http429.txt", Want: llm.ErrRateLimit, Status: 429, RetryAfter: 7 * time.Second, Msg: "server busy, please try again.  maximum pending requests exceeded"},
		{Name: "500", Fixture: "http500.txt", Want: llm.ErrUnavailable, Status: 500, Msg: "llama runner process has terminated: signal: killed"},
		{Name: "error line mid-stream", Fixture: "error_midstream.ndjson", Want: llm.ErrUnavailable, Msg: "an error was encountered while running the model: unexpected EOF"},
		{Name: "malformed JSON", Fixture: "malformed.ndjson", Want: llm.ErrMalformedStream, Msg: "line is not JSON"},
		{Name: "no done line", Fixture: "truncated.ndjson", Want: llm.ErrMalformedStream, Msg: "stream ended before done"},
		{Name: "connection cut", Fixture: "cut.ndjson", Want: llm.ErrUnavailable},
	})
}

func TestStallTimesOut(t *testing.T) { adapter.CheckStall(t) }

func TestCancel(t *testing.T) { adapter.CheckCancel(t) }

func TestUnreachable(t *testing.T) {
	p, err := ollama.New(ollama.Config{Model: "qwen3", BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := llmtest.Collect(p.Stream(t.Context(), request())); !errors.Is(err, llm.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}
