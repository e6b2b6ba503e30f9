package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/internal/wire"
)

// DefaultBaseURL is where a local Ollama listens.
const DefaultBaseURL = "http://localhost:11434"

// MaxLine bounds one NDJSON line.
const MaxLine = 4 << 20

// Config configures a Provider.
type Config struct {
	// Model is required (e.g. "qwen3:1.7b").
	Model string
	// BaseURL without /api (default DefaultBaseURL).
	BaseURL string
	// APIKey, if set, is sent as a bearer token (for a proxy in front of
	// Ollama; Ollama itself needs none).
	APIKey string
	// HTTPClient; nil uses a new http.Client without a timeout.
	HTTPClient *http.Client
	// IdleTimeout bounds the wait for the first byte and between lines
	// (default 120s; negative disables).
	IdleTimeout time.Duration
	// NumCtx is options.num_ctx (0: not sent, the server's default).
	NumCtx int
	// KeepAlive is keep_alive (e.g. "10m"; empty: not sent).
	KeepAlive string
	// Think enables thinking on models that support it (default off).
	Think bool
	// Temperature, if set, is options.temperature.
	Temperature *float64
	// Name overrides Name(); default "ollama".
	Name string
}

// Provider streams /api/chat. Create it with New.
type Provider struct {
	cfg Config
	hc  *http.Client
}

var _ llm.Provider = (*Provider)(nil)

// New validates cfg. It does no I/O.
func New(cfg Config) (*Provider, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("ollama: new: no model: %w", llm.ErrConfig)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 120 * time.Second
	}
	if cfg.Name == "" {
		cfg.Name = "ollama"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Provider{cfg: cfg, hc: hc}, nil
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return p.cfg.Name }

// Wire types of /api/chat.
type (
	chatRequest struct {
		Model     string         `json:"model"`
		Stream    bool           `json:"stream"`
		Messages  []chatMessage  `json:"messages"`
		Tools     []chatTool     `json:"tools,omitempty"`
		Options   map[string]any `json:"options,omitempty"`
		Think     bool           `json:"think"`
		KeepAlive string         `json:"keep_alive,omitempty"`
	}
	chatMessage struct {
		Role       string         `json:"role"`
		Content    string         `json:"content"`
		Thinking   string         `json:"thinking,omitempty"`
		ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
		ToolName   string         `json:"tool_name,omitempty"`
		ToolCallID string         `json:"tool_call_id,omitempty"`
	}
	chatToolCall struct {
		ID       string `json:"id,omitempty"`
		Function struct {
			Index     *int            `json:"index,omitempty"`
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	}
	chatTool struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description,omitempty"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	}
	// chatChunk is one NDJSON line of the response.
	chatChunk struct {
		Message         chatMessage     `json:"message"`
		Done            bool            `json:"done"`
		DoneReason      string          `json:"done_reason"`
		PromptEvalCount int             `json:"prompt_eval_count"`
		EvalCount       int             `json:"eval_count"`
		Error           json.RawMessage `json:"error"`
	}
)

// Stream implements llm.Provider.
func (p *Provider) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	body, err := p.encode(req)
	if err != nil {
		return func(yield func(llm.Event, error) bool) { yield(nil, err) }
	}
	h := http.Header{"Accept": {"application/x-ndjson"}}
	if p.cfg.APIKey != "" {
		h.Set("Authorization", "Bearer "+p.cfg.APIKey)
	}
	call := wire.Call{Client: p.hc, Provider: p.Name(), URL: p.cfg.BaseURL + "/api/chat", Header: h, Body: body,
		Idle: p.cfg.IdleTimeout, Decode: decode, Status: statusError}
	return call.Events(ctx)
}

// encode builds the JSON body of a request.
func (p *Provider) encode(req llm.Request) ([]byte, error) {
	b, err := json.Marshal(p.request(req))
	if err != nil {
		return nil, fmt.Errorf("ollama: encode request: %w", err)
	}
	return b, nil
}

// statusError maps a non-2xx answer ({"error": "..."}).
func statusError(e *wire.StatusError) *llm.ProviderError {
	return wire.Status("", e.Code, e.Header, errorText(e.Body), nil)
}

// decode turns an /api/chat NDJSON body into events. kick is called after
// every line. Errors are *llm.ProviderError (with an empty Provider) for
// protocol problems, or the reader's error.
func decode(r io.Reader, kick func()) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		malformed := func(msg string, err error) {
			yield(nil, &llm.ProviderError{Kind: llm.KindMalformedStream, Msg: msg, Err: err})
		}
		lr := newLineReader(r, MaxLine)
		var calls []llm.ToolCall
		for {
			line, err := lr.next()
			if err == io.EOF {
				malformed("stream ended before done", nil)
				return
			}
			if err != nil {
				if errors.Is(err, errLineTooLong) {
					malformed("line too long", err)
				} else {
					yield(nil, err)
				}
				return
			}
			kick()
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var c chatChunk
			if err := json.Unmarshal(line, &c); err != nil {
				malformed("line is not JSON", err)
				return
			}
			if len(c.Error) > 0 && string(c.Error) != "null" {
				yield(nil, &llm.ProviderError{Kind: llm.KindUnavailable, Msg: errorText(line)})
				return
			}
			if c.Message.Content != "" && !yield(llm.TextDelta{Text: c.Message.Content}, nil) {
				return
			}
			for _, tc := range c.Message.ToolCalls {
				args, ok := objectArgs(tc.Function.Arguments)
				if !ok || tc.Function.Name == "" {
					malformed("tool call without a name or with arguments that are not an object", nil)
					return
				}
				id := tc.ID
				if id == "" {
					id = fmt.Sprintf("ollama_%d", len(calls)+1)
				}
				calls = append(calls, llm.ToolCall{ID: id, Name: tc.Function.Name, Arguments: args})
			}
			if !c.Done {
				continue
			}
			for _, call := range calls {
				if !yield(call, nil) {
					return
				}
			}
			if (c.PromptEvalCount != 0 || c.EvalCount != 0) && !yield(llm.Usage{InputTokens: c.PromptEvalCount, OutputTokens: c.EvalCount}, nil) {
				return
			}
			reason := llm.StopOther
			switch {
			case len(calls) > 0:
				reason = llm.StopToolUse // Ollama says "stop" even when it called tools
			case c.DoneReason == "stop" || c.DoneReason == "":
				reason = llm.StopEnd
			case c.DoneReason == "length":
				reason = llm.StopLength
			}
			yield(llm.Done{Reason: reason, Raw: c.DoneReason}, nil)
			return
		}
	}
}

// objectArgs returns arguments as a JSON object. Some servers send the
// object as a string; that is unwrapped.
func objectArgs(raw json.RawMessage) (json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, false
	}
	return raw, true
}

// errorText extracts {"error": "..."} (or {"error":{"message":...}}) from a
// body, falling back to the trimmed body.
func errorText(b []byte) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &v) == nil && len(v.Error) > 0 {
		var s string
		if json.Unmarshal(v.Error, &s) == nil {
			return s
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
		return string(v.Error)
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// request converts an llm.Request to the wire request.
func (p *Provider) request(req llm.Request) chatRequest {
	out := chatRequest{Model: p.cfg.Model, Stream: true, Think: p.cfg.Think, KeepAlive: p.cfg.KeepAlive}
	if req.System != "" {
		out.Messages = append(out.Messages, chatMessage{Role: "system", Content: req.System})
	}
	for _, m := range req.Messages {
		cm := chatMessage{Role: string(m.Role), Content: m.Text}
		switch m.Role {
		case llm.RoleAssistant:
			for _, c := range m.ToolCalls {
				var tc chatToolCall
				tc.ID = c.ID
				tc.Function.Name = c.Name
				tc.Function.Arguments, _ = objectArgs(c.Arguments)
				if tc.Function.Arguments == nil {
					tc.Function.Arguments = json.RawMessage("{}")
				}
				cm.ToolCalls = append(cm.ToolCalls, tc)
			}
		case llm.RoleTool:
			cm.ToolName, cm.ToolCallID = m.ToolName, m.ToolCallID
			if m.IsError && !strings.HasPrefix(strings.ToLower(m.Text), "error") {
				cm.Content = "error: " + m.Text
			}
		}
		out.Messages = append(out.Messages, cm)
	}
	for _, t := range req.Tools {
		var ct chatTool
		ct.Type = "function"
		ct.Function.Name, ct.Function.Description = t.Name, t.Description
		ct.Function.Parameters = t.InputSchema
		if len(ct.Function.Parameters) == 0 {
			ct.Function.Parameters = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out.Tools = append(out.Tools, ct)
	}
	opts := map[string]any{}
	if p.cfg.NumCtx > 0 {
		opts["num_ctx"] = p.cfg.NumCtx
	}
	if p.cfg.Temperature != nil {
		opts["temperature"] = *p.cfg.Temperature
	}
	if req.MaxTokens > 0 {
		opts["num_predict"] = req.MaxTokens
	}
	if len(opts) > 0 {
		out.Options = opts
	}
	return out
}
