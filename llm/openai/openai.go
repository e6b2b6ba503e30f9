package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/internal/sse"
	"github.com/zhubhq/zhub/llm/internal/wire"
)

// DefaultBaseURL is OpenAI's API root.
const DefaultBaseURL = "https://api.openai.com/v1"

// Config configures a Provider.
type Config struct {
	// Model is required (e.g. "gpt-4.1-mini", or the local server's model).
	Model string
	// APIKey is sent as a bearer token; empty sends none (local servers).
	APIKey string
	// BaseURL is the API root including /v1 (default DefaultBaseURL).
	BaseURL string
	// HTTPClient; nil uses a new http.Client without a timeout (IdleTimeout
	// and the caller's context bound each request).
	HTTPClient *http.Client
	// IdleTimeout bounds the wait for the first byte and between stream
	// events (default 60s; negative disables).
	IdleTimeout time.Duration
	// MaxTokens is the default answer budget (0: the server's default).
	MaxTokens int
	// Temperature, if set, is sent as is.
	Temperature *float64
	// Name overrides Name() (e.g. "openrouter"); default "openai".
	Name string
}

// Provider streams Chat Completions. Create it with New.
type Provider struct {
	cfg Config
	hc  *http.Client
	url string
}

var _ llm.Provider = (*Provider)(nil)

// New validates cfg. It does no I/O.
func New(cfg Config) (*Provider, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("openai: new: no model: %w", llm.ErrConfig)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.Name == "" {
		cfg.Name = "openai"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Provider{cfg: cfg, hc: hc, url: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions"}, nil
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return p.cfg.Name }

// Wire types of POST /chat/completions (interfaces.md §D.1). Unknown
// fields in answers are ignored.
type (
	chatRequest struct {
		Model               string        `json:"model"`
		Stream              bool          `json:"stream"`
		StreamOptions       streamOptions `json:"stream_options"`
		Messages            []chatMessage `json:"messages"`
		Tools               []chatTool    `json:"tools,omitempty"`
		ToolChoice          string        `json:"tool_choice,omitempty"`
		MaxCompletionTokens int           `json:"max_completion_tokens,omitempty"`
		Temperature         *float64      `json:"temperature,omitempty"`
	}
	streamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	}
	chatMessage struct {
		Role       string         `json:"role"`
		Content    *string        `json:"content"`
		ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
		ToolCallID string         `json:"tool_call_id,omitempty"`
	}
	chatToolCall struct {
		ID       string       `json:"id"`
		Type     string       `json:"type"`
		Function chatFunction `json:"function"`
	}
	chatFunction struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	}
	chatTool struct {
		Type     string      `json:"type"`
		Function toolFuncDef `json:"function"`
	}
	toolFuncDef struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters"`
	}

	// chunk is one "data:" event of the answer.
	chunk struct {
		Choices []struct {
			Index int `json:"index"`
			Delta struct {
				Content   string `json:"content"`
				Refusal   string `json:"refusal"`
				ToolCalls []struct {
					Index    int    `json:"index"`
					ID       string `json:"id"`
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"delta"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
		Error json.RawMessage `json:"error"`
	}
)

// Stream implements llm.Provider.
func (p *Provider) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	body, err := p.request(req)
	if err != nil {
		return func(yield func(llm.Event, error) bool) { yield(nil, err) }
	}
	h := http.Header{"Accept": {"text/event-stream"}}
	if p.cfg.APIKey != "" {
		h.Set("Authorization", "Bearer "+p.cfg.APIKey)
	}
	call := wire.Call{Client: p.hc, Provider: p.Name(), URL: p.url, Header: h, Body: body,
		Idle: p.cfg.IdleTimeout, Decode: decode, Status: statusError}
	return call.Events(ctx)
}

// decode turns a Chat Completions event stream into events. kick is called
// after every event. Errors are *llm.ProviderError (with an empty Provider)
// for protocol problems, or the body's read error.
func decode(r io.Reader, kick func()) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		malformed := func(msg string, err error) {
			yield(nil, &llm.ProviderError{Kind: llm.KindMalformedStream, Msg: msg, Err: err})
		}
		type partial struct {
			id, name string
			args     strings.Builder
		}
		calls := map[int]*partial{}
		var finish string
		var usage *llm.Usage
		events := sse.NewReader(r, 0)
	read:
		for {
			ev, err := events.Next()
			switch {
			case errors.Is(err, io.EOF):
				break read
			case errors.Is(err, sse.ErrTooLarge):
				malformed("event too large", err)
				return
			case err != nil:
				yield(nil, err)
				return
			}
			kick()
			data := bytes.TrimSpace(ev.Data)
			if string(data) == "[DONE]" {
				break
			}
			var c chunk
			if err := json.Unmarshal(data, &c); err != nil {
				malformed("undecodable event", err)
				return
			}
			if len(c.Error) > 0 && string(c.Error) != "null" {
				yield(nil, streamError(c.Error))
				return
			}
			if c.Usage != nil && c.Usage.TotalTokens > 0 {
				usage = &llm.Usage{InputTokens: c.Usage.PromptTokens, OutputTokens: c.Usage.CompletionTokens}
			}
			for _, ch := range c.Choices {
				if ch.Index != 0 {
					continue // zhub asks for one choice
				}
				d := ch.Delta
				if text := d.Content + d.Refusal; text != "" {
					if !yield(llm.TextDelta{Text: text}, nil) {
						return
					}
				}
				for _, tc := range d.ToolCalls {
					pc := calls[tc.Index]
					if pc == nil {
						if len(calls) >= maxToolCalls {
							malformed("too many tool calls", nil)
							return
						}
						pc = &partial{}
						calls[tc.Index] = pc
					}
					if tc.ID != "" {
						pc.id = tc.ID
					}
					if tc.Function.Name != "" {
						pc.name = tc.Function.Name
					}
					pc.args.WriteString(tc.Function.Arguments)
				}
				if ch.FinishReason != "" {
					finish = ch.FinishReason
				}
			}
		}
		if finish == "" {
			malformed("stream ended before the model finished", nil)
			return
		}
		for _, idx := range slices.Sorted(maps.Keys(calls)) {
			c := calls[idx]
			args := strings.TrimSpace(c.args.String())
			if args == "" {
				args = "{}"
			}
			if c.name == "" {
				malformed(fmt.Sprintf("tool call %d has no name", idx), nil)
				return
			}
			if !json.Valid([]byte(args)) {
				malformed(fmt.Sprintf("tool call %s: arguments are not valid JSON", c.id), nil)
				return
			}
			if !yield(llm.ToolCall{ID: c.id, Name: c.name, Arguments: json.RawMessage(args)}, nil) {
				return
			}
		}
		if usage != nil && !yield(*usage, nil) {
			return
		}
		yield(llm.Done{Reason: stopReason(finish), Raw: finish}, nil)
	}
}

// maxToolCalls bounds the calls one answer may assemble.
const maxToolCalls = 64

func stopReason(s string) llm.StopReason {
	switch s {
	case "stop":
		return llm.StopEnd
	case "tool_calls", "function_call":
		return llm.StopToolUse
	case "length":
		return llm.StopLength
	case "content_filter":
		return llm.StopFiltered
	}
	return llm.StopOther
}

// request converts an llm.Request to the JSON body.
func (p *Provider) request(req llm.Request) ([]byte, error) {
	out := chatRequest{
		Model:         p.cfg.Model,
		Stream:        true,
		StreamOptions: streamOptions{IncludeUsage: true},
		Temperature:   p.cfg.Temperature,
	}
	text := func(s string) *string { return &s }
	if req.System != "" {
		out.Messages = append(out.Messages, chatMessage{Role: "system", Content: text(req.System)})
	}
	for _, m := range req.Messages {
		switch m.Role {
		case llm.RoleSystem, llm.RoleUser:
			out.Messages = append(out.Messages, chatMessage{Role: string(m.Role), Content: text(m.Text)})
		case llm.RoleAssistant:
			a := chatMessage{Role: "assistant"}
			if m.Text != "" {
				a.Content = text(m.Text)
			}
			for _, c := range m.ToolCalls {
				args := string(c.Arguments)
				if args == "" {
					args = "{}"
				}
				a.ToolCalls = append(a.ToolCalls, chatToolCall{ID: c.ID, Type: "function", Function: chatFunction{Name: c.Name, Arguments: args}})
			}
			out.Messages = append(out.Messages, a)
		case llm.RoleTool:
			t := m.Text
			if m.IsError && !strings.HasPrefix(strings.ToLower(t), "error") {
				// Chat Completions has no is_error flag; say it in the text.
				t = "error: " + t
			}
			out.Messages = append(out.Messages, chatMessage{Role: "tool", Content: text(t), ToolCallID: m.ToolCallID})
		default:
			return nil, fmt.Errorf("openai: message role %q: %w", m.Role, llm.ErrBadRequest)
		}
	}
	if n := firstPositive(req.MaxTokens, p.cfg.MaxTokens); n > 0 {
		out.MaxCompletionTokens = n
	}
	for _, t := range req.Tools {
		schema := json.RawMessage(`{"type":"object","properties":{}}`)
		if len(t.InputSchema) > 0 {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(t.InputSchema, &obj); err != nil || obj == nil {
				return nil, fmt.Errorf("openai: schema of tool %s is not a JSON object: %w", t.Name, llm.ErrBadRequest)
			}
			schema = t.InputSchema
		}
		out.Tools = append(out.Tools, chatTool{Type: "function", Function: toolFuncDef{Name: t.Name, Description: t.Description, Parameters: schema}})
	}
	if len(out.Tools) > 0 {
		out.ToolChoice = "auto"
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("openai: encode request: %w", err)
	}
	return b, nil
}

func firstPositive(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// statusError maps a non-2xx answer.
func statusError(e *wire.StatusError) *llm.ProviderError {
	return wire.Status("", e.Code, e.Header, errorMessage(e.Body), nil)
}

// errorMessage reads {"error":{"message":...}} (or {"error":"..."}) from an
// error body, falling back to the start of the body.
func errorMessage(b []byte) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &v) == nil && len(v.Error) > 0 {
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
		var s string
		if json.Unmarshal(v.Error, &s) == nil {
			return s
		}
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// streamError classifies the value of an "error" key inside the stream.
func streamError(raw json.RawMessage) *llm.ProviderError {
	var body struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	}
	if json.Unmarshal(raw, &body) != nil {
		_ = json.Unmarshal(raw, &body.Message)
	}
	e := &llm.ProviderError{Kind: llm.KindUnavailable, Msg: body.Message}
	what := strings.ToLower(body.Type + " " + fmt.Sprint(body.Code))
	switch {
	case strings.Contains(what, "rate_limit"):
		e.Kind = llm.KindRateLimit
	case strings.Contains(what, "overloaded"):
		e.Kind = llm.KindOverloaded
	case strings.Contains(what, "invalid_request"):
		e.Kind = llm.KindBadRequest
	case strings.Contains(what, "timeout"):
		e.Kind = llm.KindTimeout
	}
	if e.Msg == "" {
		e.Msg = "error event in the stream"
	}
	return e
}
