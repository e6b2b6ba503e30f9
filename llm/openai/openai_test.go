package openai_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/openai"
)

func newProvider(t testing.TB, srv *llmtest.Server, idle time.Duration) *openai.Provider {
	t.Helper()
	p, err := openai.New(openai.Config{Model: "gpt-4.1-mini", APIKey: "sk-test", BaseURL: srv.URL + "/v1", IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// adapter runs the checks every adapter shares (llmtest.Adapter).
var adapter = llmtest.Adapter{Name: "openai", Ext: ".sse",
	New: func(t testing.TB, srv *llmtest.Server, idle time.Duration) llm.Provider {
		return newProvider(t, srv, idle)
	}}

func request() llm.Request { return llmtest.DeviceRequest() }

func TestStream(t *testing.T) {
	adapter.CheckStreams(t, []llmtest.StreamCase{
		{Name: "text", Fixture: "text.sse", Want: []llm.Event{
			llm.TextDelta{Text: "Done — "}, llm.TextDelta{Text: "the light is at 30%."},
			llm.Usage{InputTokens: 812, OutputTokens: 14}, llm.Done{Reason: llm.StopEnd, Raw: "stop"},
		}},
		{Name: "tool call in fragments", Fixture: "tool_fragments.sse", Want: []llm.Event{
			llm.ToolCall{ID: "call_abc", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			llm.Usage{InputTokens: 900, OutputTokens: 31}, llm.Done{Reason: llm.StopToolUse, Raw: "tool_calls"},
		}},
		{Name: "parallel tool calls", Fixture: "parallel.sse", Want: []llm.Event{
			llm.ToolCall{ID: "call_abc", Name: "set_device", Arguments: json.RawMessage(`{"name":"kitchen_light","values":{"brightness":76}}`)},
			llm.ToolCall{ID: "call_def", Name: "get_device", Arguments: json.RawMessage(`{"name":"front_door"}`)},
			llm.Done{Reason: llm.StopToolUse, Raw: "tool_calls"},
		}},
	})
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
	adapter.CheckErrors(t, []llmtest.ErrorCase{
		{Name: "401", Fixture: "http401.txt", Want: llm.ErrAuth, Status: 401},
		{Name: "429 with Retry-After", Fixture: "http429.txt", Want: llm.ErrRateLimit, Status: 429, RetryAfter: 7 * time.Second, Msg: "Rate limit reached for gpt-4.1-mini on requests per min (RPM): Limit 3, Used 3, Requested 1."},
		{Name: "500", Fixture: "http500.txt", Want: llm.ErrUnavailable, Status: 500},
		{Name: "400 bad schema", Fixture: "http400.txt", Want: llm.ErrBadRequest, Status: 400},
		{Name: "error event mid-stream", Fixture: "error_midstream.sse", Want: llm.ErrUnavailable, Msg: "The server had an error while processing your request."},
		{Name: "malformed JSON", Fixture: "malformed.sse", Want: llm.ErrMalformedStream},
		{Name: "stream ends before finish", Fixture: "truncated.sse", Want: llm.ErrMalformedStream},
		{Name: "connection cut", Fixture: "cut.sse", Want: llm.ErrUnavailable},
	})
}

func TestStallTimesOut(t *testing.T) { adapter.CheckStall(t) }

func TestCancel(t *testing.T) { adapter.CheckCancel(t) }

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
