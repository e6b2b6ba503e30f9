package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/ollama"
)

func newProvider(t *testing.T, srv *llmtest.Server, idle time.Duration) *ollama.Provider {
	t.Helper()
	p, err := ollama.New(ollama.Config{Model: "qwen3", BaseURL: srv.URL, IdleTimeout: idle, NumCtx: 8192, KeepAlive: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request() llm.Request {
	return llm.Request{
		System:   "You control a Zigbee home.",
		Messages: []llm.Message{llm.UserMessage("dim the kitchen light to 30%")},
		Tools:    llmtest.DeviceTools(),
	}
}

func TestStream(t *testing.T) {
	usage := llm.Usage{InputTokens: 169, OutputTokens: 15}
	tests := []struct {
		name    string
		fixture string
		want    []llm.Event
	}{
		{"text", "text.ndjson", []llm.Event{
			llm.TextDelta{Text: "Done — "}, llm.TextDelta{Text: "the light is at 30%."}, usage, llm.Done{Reason: llm.StopEnd, Raw: "stop"},
		}},
		{"tool call (thinking ignored)", "tool_call.ndjson", []llm.Event{
			llm.ToolCall{ID: "ollama_1", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			usage, llm.Done{Reason: llm.StopToolUse, Raw: "stop"},
		}},
		{"parallel tool calls", "parallel.ndjson", []llm.Event{
			llm.ToolCall{ID: "call_k1", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			llm.ToolCall{ID: "call_k2", Name: "get_device", Arguments: json.RawMessage(`{"name":"front_door"}`)},
			usage, llm.Done{Reason: llm.StopToolUse, Raw: "stop"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, "testdata", tt.fixture)
			got, err := llmtest.Collect(newProvider(t, srv, 0).Stream(t.Context(), request()))
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
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
	tests := []struct {
		name       string
		fixture    string
		want       error
		status     int
		retryAfter time.Duration
		msg        string
	}{
		{"400 model without tools", "http400_tools.txt", llm.ErrBadRequest, 400, 0, "registry.ollama.ai/library/gemma:2b does not support tools"},
		{"404 model not pulled", "http404.txt", llm.ErrBadRequest, 404, 0, `model "qwen3" not found, try pulling it first`},
		{"401 from a proxy", "http401.txt", llm.ErrAuth, 401, 0, "unauthorized"},
		{"429", "http429.txt", llm.ErrRateLimit, 429, 7 * time.Second, "server busy, please try again.  maximum pending requests exceeded"},
		{"500", "http500.txt", llm.ErrUnavailable, 500, 0, "llama runner process has terminated: signal: killed"},
		{"error line mid-stream", "error_midstream.ndjson", llm.ErrUnavailable, 0, 0, "an error was encountered while running the model: unexpected EOF"},
		{"malformed JSON", "malformed.ndjson", llm.ErrMalformedStream, 0, 0, "line is not JSON"},
		{"no done line", "truncated.ndjson", llm.ErrMalformedStream, 0, 0, "stream ended before done"},
		{"connection cut", "cut.ndjson", llm.ErrUnavailable, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, "testdata", tt.fixture)
			evs, err := llmtest.Collect(newProvider(t, srv, 0).Stream(t.Context(), request()))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, ev := range evs {
				if _, ok := ev.(llm.ToolCall); ok {
					t.Errorf("a tool call was yielded before the failure: %#v", ev)
				}
			}
			pe, ok := errors.AsType[*llm.ProviderError](err)
			if !ok {
				t.Fatalf("err %T is not a *llm.ProviderError", err)
			}
			if pe.Status != tt.status || pe.RetryAfter != tt.retryAfter || pe.Provider != "ollama" || (tt.msg != "" && pe.Msg != tt.msg) {
				t.Errorf("got status %d retry %v provider %q msg %q, want %d %v ollama %q", pe.Status, pe.RetryAfter, pe.Provider, pe.Msg, tt.status, tt.retryAfter, tt.msg)
			}
		})
	}
}

func TestStallTimesOut(t *testing.T) {
	srv := llmtest.NewServer(t, "testdata", "stall.ndjson")
	evs, err := llmtest.Collect(newProvider(t, srv, 50*time.Millisecond).Stream(t.Context(), request()))
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if len(evs) != 1 {
		t.Errorf("events before the stall: %v", evs)
	}
}

func TestCancel(t *testing.T) {
	srv := llmtest.NewServer(t, "testdata", "stall.ndjson")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var err error
	for ev, e := range newProvider(t, srv, -1).Stream(ctx, request()) {
		if e != nil {
			err = e
			break
		}
		if _, ok := ev.(llm.TextDelta); ok {
			cancel()
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestUnreachable(t *testing.T) {
	p, err := ollama.New(ollama.Config{Model: "qwen3", BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := llmtest.Collect(p.Stream(t.Context(), request())); !errors.Is(err, llm.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}
