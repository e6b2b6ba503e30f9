package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/openai"
)

func newProvider(t *testing.T, srv *llmtest.Server, idle time.Duration) *openai.Provider {
	t.Helper()
	p, err := openai.New(openai.Config{Model: "gpt-4.1-mini", APIKey: "sk-test", BaseURL: srv.URL + "/v1", IdleTimeout: idle})
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
	tests := []struct {
		name    string
		fixture string
		want    []llm.Event
	}{
		{"text", "text.sse", []llm.Event{
			llm.TextDelta{Text: "Done — "}, llm.TextDelta{Text: "the light is at 30%."},
			llm.Usage{InputTokens: 812, OutputTokens: 14}, llm.Done{Reason: llm.StopEnd, Raw: "stop"},
		}},
		{"tool call in fragments", "tool_fragments.sse", []llm.Event{
			llm.ToolCall{ID: "call_abc", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			llm.Usage{InputTokens: 900, OutputTokens: 31}, llm.Done{Reason: llm.StopToolUse, Raw: "tool_calls"},
		}},
		{"parallel tool calls", "parallel.sse", []llm.Event{
			llm.ToolCall{ID: "call_abc", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			llm.ToolCall{ID: "call_def", Name: "get_device", Arguments: json.RawMessage(`{"name":"front_door"}`)},
			llm.Done{Reason: llm.StopToolUse, Raw: "tool_calls"},
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
	srv := llmtest.NewServer(t, "testdata", "answer.sse")
	req := request()
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
			{ID: "call_abc", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			{ID: "call_def", Name: "get_device", Arguments: json.RawMessage(`{"name":"hall"}`)},
		}},
		llm.Message{Role: llm.RoleTool, ToolCallID: "call_abc", ToolName: "set_device", Text: `{"state":"ON","brightness":76}`},
		llm.Message{Role: llm.RoleTool, ToolCallID: "call_def", ToolName: "get_device", Text: "device 'hall' is offline", IsError: true},
	)
	if _, err := llmtest.Collect(newProvider(t, srv, 0).Stream(t.Context(), req)); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Method != "POST" || r.Path != "/v1/chat/completions" {
		t.Errorf("request to %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("Authorization = %q", got)
	}
	var body struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Messages []struct {
			Role       string `json:"role"`
			Content    any    `json:"content"`
			ToolCallID string `json:"tool_call_id"`
			ToolCalls  []struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct{ Name, Arguments string }
			} `json:"tool_calls"`
		} `json:"messages"`
		Tools []struct {
			Type     string `json:"type"`
			Function struct {
				Name       string         `json:"name"`
				Parameters map[string]any `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		Temperature *float64 `json:"temperature"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body: %v\n%s", err, r.Body)
	}
	if body.Model != "gpt-4.1-mini" || !body.Stream || !body.StreamOptions.IncludeUsage {
		t.Errorf("model/stream: %s", r.Body)
	}
	roles := []string{}
	for _, m := range body.Messages {
		roles = append(roles, m.Role)
	}
	if want := []string{"system", "user", "assistant", "tool", "tool"}; !reflect.DeepEqual(roles, want) {
		t.Fatalf("roles %v, want %v", roles, want)
	}
	a := body.Messages[2]
	if len(a.ToolCalls) != 2 || a.ToolCalls[0].ID != "call_abc" || a.ToolCalls[0].Type != "function" ||
		a.ToolCalls[0].Function.Arguments != `{"name":"kitchen_light","values":{"brightness":76}}` || a.ToolCalls[1].Function.Name != "get_device" {
		t.Errorf("assistant tool calls: %+v", a.ToolCalls)
	}
	if body.Messages[3].ToolCallID != "call_abc" || body.Messages[4].ToolCallID != "call_def" {
		t.Errorf("tool call ids: %s", r.Body)
	}
	if got := body.Messages[4].Content; got != "error: device 'hall' is offline" {
		t.Errorf("error result content = %v", got)
	}
	if len(body.Tools) != 5 || body.Tools[2].Type != "function" || body.Tools[2].Function.Name != "set_device" ||
		body.Tools[2].Function.Parameters["type"] != "object" {
		t.Errorf("tools: %+v", body.Tools)
	}
	if body.Temperature != nil {
		t.Errorf("temperature sent though not configured")
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		fixture    string
		want       error
		status     int
		retryAfter time.Duration
	}{
		{"401", "http401.txt", llm.ErrAuth, 401, 0},
		{"429 with Retry-After", "http429.txt", llm.ErrRateLimit, 429, 7 * time.Second},
		{"500", "http500.txt", llm.ErrUnavailable, 500, 0},
		{"400 bad schema", "http400.txt", llm.ErrBadRequest, 400, 0},
		{"error event mid-stream", "error_midstream.sse", llm.ErrUnavailable, 0, 0},
		{"malformed JSON", "malformed.sse", llm.ErrMalformedStream, 0, 0},
		{"stream ends before finish", "truncated.sse", llm.ErrMalformedStream, 0, 0},
		{"connection cut", "cut.sse", llm.ErrUnavailable, 0, 0},
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
					t.Errorf("half a tool call was yielded: %#v", ev)
				}
			}
			pe, ok := errors.AsType[*llm.ProviderError](err)
			if !ok {
				t.Fatalf("err %T is not a *llm.ProviderError", err)
			}
			if pe.Status != tt.status || pe.RetryAfter != tt.retryAfter || pe.Provider != "openai" {
				t.Errorf("status %d retry %v provider %q, want %d %v openai", pe.Status, pe.RetryAfter, pe.Provider, tt.status, tt.retryAfter)
			}
			if len(srv.Requests()) != 1 {
				t.Errorf("%d requests, want 1 (no retries)", len(srv.Requests()))
			}
		})
	}
}

func TestStallTimesOut(t *testing.T) {
	srv := llmtest.NewServer(t, "testdata", "stall.sse")
	evs, err := llmtest.Collect(newProvider(t, srv, 50*time.Millisecond).Stream(t.Context(), request()))
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if len(evs) != 1 {
		t.Errorf("events before the stall: %v", evs)
	}
}

func TestCancel(t *testing.T) {
	srv := llmtest.NewServer(t, "testdata", "stall.sse")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var err error
	for ev, e := range newProvider(t, srv, -1).Stream(ctx, request()) {
		if e != nil {
			err = e
			break
		}
		if _, ok := ev.(llm.TextDelta); ok {
			cancel() // the client went away while the server stalls
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, ok := errors.AsType[*llm.ProviderError](err); ok {
		t.Errorf("cancellation reported as a provider failure: %v", err)
	}
}

func TestNewNeedsModel(t *testing.T) {
	if _, err := openai.New(openai.Config{}); !errors.Is(err, llm.ErrConfig) {
		t.Errorf("err = %v", err)
	}
}

func TestNoEnvironmentKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-env")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	srv := llmtest.NewServer(t, "testdata", "text.sse")
	p, err := openai.New(openai.Config{Model: "local", BaseURL: srv.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := llmtest.Collect(p.Stream(t.Context(), request())); err != nil {
		t.Fatal(err)
	}
	if a := srv.Requests()[0].Header.Get("Authorization"); a != "" {
		t.Errorf("a key from the environment was sent: %q", a)
	}
}
