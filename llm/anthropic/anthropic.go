package anthropic

import (
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

// DefaultBaseURL is Anthropic's API root (requests go to <base>/v1/messages).
const DefaultBaseURL = "https://api.anthropic.com"

// DefaultVersion is the anthropic-version zhub sends. It is the version the
// v2 Go SDK sends; it rejects sampling parameters, which zhub never sets.
const DefaultVersion = "2026-10-21"

// Config configures a Provider.
type Config struct {
	// Model is required (e.g. "claude-sonnet-4-5").
	Model string
	// APIKey is sent as x-api-key. AuthToken, if set instead, is sent as a
	// bearer token (OAuth).
	APIKey    string
	AuthToken string
	// BaseURL without /v1 (default DefaultBaseURL).
	BaseURL string
	// HTTPClient; nil uses a new http.Client without a timeout.
	HTTPClient *http.Client
	// IdleTimeout bounds the wait for the first byte and between events
	// (default 60s; negative disables).
	IdleTimeout time.Duration
	// MaxTokens is the answer budget, required by the API (default 1024).
	MaxTokens int
	// Version is the anthropic-version header (default DefaultVersion).
	Version string
	// Name overrides Name(); default "anthropic".
	Name string
}

// Provider streams Messages. Create it with New.
type Provider struct {
	cfg Config
	hc  *http.Client
	url string
}

var _ llm.Provider = (*Provider)(nil)

// New validates cfg. It does no I/O.
func New(cfg Config) (*Provider, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("anthropic: new: no model: %w", llm.ErrConfig)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 1024
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.Name == "" {
		cfg.Name = "anthropic"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Provider{cfg: cfg, hc: hc, url: strings.TrimRight(cfg.BaseURL, "/") + "/v1/messages"}, nil
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return p.cfg.Name }

// Wire types of POST /v1/messages (interfaces.md §D.3). Unknown fields in
// answers are ignored.
type (
	messageRequest struct {
		Model     string      `json:"model"`
		MaxTokens int         `json:"max_tokens"`
		Stream    bool        `json:"stream"`
		System    []textBlock `json:"system,omitempty"`
		Messages  []turn      `json:"messages"`
		Tools     []tool      `json:"tools,omitempty"`
	}
	textBlock struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	turn struct {
		Role    string  `json:"role"`
		Content []block `json:"content"`
	}
	// block is a text, tool_use or tool_result content block.
	block struct {
		Type      string          `json:"type"`
		Text      string          `json:"text,omitempty"`
		ID        string          `json:"id,omitempty"`
		Name      string          `json:"name,omitempty"`
		Input     json.RawMessage `json:"input,omitempty"`
		ToolUseID string          `json:"tool_use_id,omitempty"`
		Content   []textBlock     `json:"content,omitempty"`
		IsError   bool            `json:"is_error,omitempty"`
	}
	tool struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		InputSchema json.RawMessage `json:"input_schema"`
	}

	// event is the data of one stream event; its type key names it.
	event struct {
		Type    string `json:"type"`
		Index   int    `json:"index"`
		Message struct {
			Usage usage `json:"usage"`
		} `json:"message"`
		ContentBlock struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Name string `json:"name"`
			Text string `json:"text"`
		} `json:"content_block"`
		Delta struct {
			Type        string `json:"type"`
			Text        string `json:"text"`
			PartialJSON string `json:"partial_json"`
			StopReason  string `json:"stop_reason"`
		} `json:"delta"`
		Usage usage     `json:"usage"`
		Error *apiError `json:"error"`
	}
	usage struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	}
	apiError struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
)

// Stream implements llm.Provider.
func (p *Provider) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	body, err := p.request(req)
	if err != nil {
		return func(yield func(llm.Event, error) bool) { yield(nil, err) }
	}
	h := http.Header{"Accept": {"text/event-stream"}, "Anthropic-Version": {p.cfg.Version}}
	switch {
	case p.cfg.AuthToken != "":
		h.Set("Authorization", "Bearer "+p.cfg.AuthToken)
	case p.cfg.APIKey != "":
		h.Set("X-Api-Key", p.cfg.APIKey)
	}
	call := wire.Call{Client: p.hc, Provider: p.Name(), URL: p.url, Header: h, Body: body,
		Idle: p.cfg.IdleTimeout, Decode: decode, Status: statusError}
	return call.Events(ctx)
}

// maxToolCalls bounds the tool_use blocks one answer may assemble.
const maxToolCalls = 64

// decode turns a Messages event stream into events. Events are told apart
// by the type key of their data, so a proxy that drops the "event:" lines
// does not lose any. kick is called after every event. Errors are
// *llm.ProviderError (with an empty Provider) for protocol problems, or the
// body's read error.
func decode(r io.Reader, kick func()) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		malformed := func(msg string, err error) {
			yield(nil, &llm.ProviderError{Kind: llm.KindMalformedStream, Msg: msg, Err: err})
		}
		type toolBlock struct {
			id, name string
			input    strings.Builder
		}
		tools := map[int]*toolBlock{}
		var use llm.Usage
		var stop string
		events := sse.NewReader(r, 0)
		for {
			raw, err := events.Next()
			switch {
			case errors.Is(err, io.EOF):
				malformed("stream ended without message_stop", nil)
				return
			case errors.Is(err, sse.ErrTooLarge):
				malformed("event too large", err)
				return
			case err != nil:
				yield(nil, err)
				return
			}
			kick()
			var ev event
			if err := json.Unmarshal(raw.Data, &ev); err != nil {
				malformed("undecodable event", err)
				return
			}
			if ev.Type == "" {
				ev.Type = raw.Type
			}
			switch ev.Type {
			case "message_start":
				use = llm.Usage{InputTokens: ev.Message.Usage.InputTokens, OutputTokens: ev.Message.Usage.OutputTokens}
			case "content_block_start":
				switch cb := ev.ContentBlock; cb.Type {
				case "tool_use":
					if len(tools) >= maxToolCalls {
						malformed("too many tool calls", nil)
						return
					}
					tools[ev.Index] = &toolBlock{id: cb.ID, name: cb.Name}
				case "text":
					if cb.Text != "" && !yield(llm.TextDelta{Text: cb.Text}, nil) {
						return
					}
				}
			case "content_block_delta":
				switch d := ev.Delta; d.Type {
				case "text_delta":
					if d.Text != "" && !yield(llm.TextDelta{Text: d.Text}, nil) {
						return
					}
				case "input_json_delta":
					if tb := tools[ev.Index]; tb != nil {
						tb.input.WriteString(d.PartialJSON)
					}
				}
			case "message_delta":
				if ev.Delta.StopReason != "" {
					stop = ev.Delta.StopReason
				}
				if n := ev.Usage.OutputTokens; n > 0 {
					use.OutputTokens = n // cumulative
				}
				if n := ev.Usage.InputTokens; n > 0 {
					use.InputTokens = n
				}
			case "error":
				yield(nil, eventError(ev.Error))
				return
			case "message_stop":
				for _, idx := range slices.Sorted(maps.Keys(tools)) {
					tb := tools[idx]
					in := strings.TrimSpace(tb.input.String())
					if in == "" {
						in = "{}" // a tool without arguments may get no input_json_delta at all
					}
					if !json.Valid([]byte(in)) {
						malformed(fmt.Sprintf("tool_use %s: input is not valid JSON", tb.id), nil)
						return
					}
					if tb.name == "" {
						malformed(fmt.Sprintf("tool_use %s has no name", tb.id), nil)
						return
					}
					if !yield(llm.ToolCall{ID: tb.id, Name: tb.name, Arguments: json.RawMessage(in)}, nil) {
						return
					}
				}
				if (use.InputTokens != 0 || use.OutputTokens != 0) && !yield(use, nil) {
					return
				}
				yield(llm.Done{Reason: stopReason(stop), Raw: stop}, nil)
				return
			}
		}
	}
}

func stopReason(s string) llm.StopReason {
	switch s {
	case "end_turn", "stop_sequence":
		return llm.StopEnd
	case "tool_use":
		return llm.StopToolUse
	case "max_tokens", "model_context_window_exceeded":
		return llm.StopLength
	case "refusal":
		return llm.StopFiltered
	}
	return llm.StopOther
}

// request converts an llm.Request to the JSON body.
func (p *Provider) request(req llm.Request) ([]byte, error) {
	out := messageRequest{Model: p.cfg.Model, MaxTokens: p.cfg.MaxTokens, Stream: true}
	if req.MaxTokens > 0 {
		out.MaxTokens = req.MaxTokens
	}
	var system []string
	if req.System != "" {
		system = append(system, req.System)
	}
	add := func(role string, blocks ...block) {
		if len(blocks) == 0 {
			return
		}
		// The API wants alternating turns: same-role neighbours merge.
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
			return
		}
		out.Messages = append(out.Messages, turn{Role: role, Content: blocks})
	}
	for _, m := range req.Messages {
		switch m.Role {
		case llm.RoleSystem:
			system = append(system, m.Text)
		case llm.RoleUser:
			if m.Text != "" {
				add("user", block{Type: "text", Text: m.Text})
			}
		case llm.RoleAssistant:
			var blocks []block
			if m.Text != "" {
				blocks = append(blocks, block{Type: "text", Text: m.Text})
			}
			for _, c := range m.ToolCalls {
				in := json.RawMessage(c.Arguments)
				if len(in) == 0 || !json.Valid(in) {
					in = json.RawMessage("{}")
				}
				blocks = append(blocks, block{Type: "tool_use", ID: c.ID, Name: c.Name, Input: in})
			}
			add("assistant", blocks...)
		case llm.RoleTool:
			add("user", block{Type: "tool_result", ToolUseID: m.ToolCallID, Content: []textBlock{{Type: "text", Text: m.Text}}, IsError: m.IsError})
		default:
			return nil, fmt.Errorf("anthropic: message role %q: %w", m.Role, llm.ErrBadRequest)
		}
	}
	if len(system) > 0 {
		out.System = []textBlock{{Type: "text", Text: strings.Join(system, "\n\n")}}
	}
	for _, t := range req.Tools {
		schema, err := inputSchema(t.InputSchema)
		if err != nil {
			return nil, fmt.Errorf("anthropic: schema of tool %s: %w", t.Name, err)
		}
		out.Tools = append(out.Tools, tool{Name: t.Name, Description: t.Description, InputSchema: schema})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("anthropic: encode request: %w", err)
	}
	return b, nil
}

// inputSchema returns a tool's JSON schema as an object schema: an empty
// schema becomes one without properties; one that is not a JSON object is
// an error.
func inputSchema(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage(`{"type":"object","properties":{}}`), nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("not a JSON object: %w", llm.ErrBadRequest)
	}
	if _, ok := m["type"]; !ok {
		m["type"] = json.RawMessage(`"object"`)
		return json.Marshal(m)
	}
	return raw, nil
}

// statusError maps a non-2xx answer; the error type in the body refines
// the status.
func statusError(e *wire.StatusError) *llm.ProviderError {
	var body struct {
		Error *apiError `json:"error"`
	}
	_ = json.Unmarshal(e.Body, &body) // best effort: the status decides without it
	pe := wire.Status("", e.Code, e.Header, "", nil)
	if body.Error != nil {
		pe.Msg = body.Error.Message
		refine(pe, body.Error.Type)
	}
	if pe.Msg == "" {
		pe.Msg = strings.TrimSpace(string(e.Body[:min(len(e.Body), 200)]))
	}
	return pe
}

// eventError classifies an "error" event inside a 200 stream.
func eventError(e *apiError) *llm.ProviderError {
	pe := &llm.ProviderError{Kind: llm.KindUnavailable, Msg: "error event in the stream"}
	if e != nil {
		refine(pe, e.Type)
		if e.Message != "" {
			pe.Msg = e.Message
		} else if e.Type != "" {
			pe.Msg = e.Type
		}
	}
	return pe
}

// refine sets the kind from Anthropic's error type, which is more precise
// than the status (529 vs 503; mid-stream errors have no status).
func refine(pe *llm.ProviderError, typ string) {
	switch typ {
	case "overloaded_error":
		pe.Kind = llm.KindOverloaded
	case "rate_limit_error":
		pe.Kind = llm.KindRateLimit
	case "authentication_error", "permission_error":
		pe.Kind = llm.KindAuth
	case "invalid_request_error", "not_found_error", "request_too_large":
		pe.Kind = llm.KindBadRequest
	case "timeout_error":
		pe.Kind = llm.KindTimeout
	case "api_error":
		pe.Kind = llm.KindUnavailable
	}
}
