package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/internal/wire"
)

// DefaultBaseURL is Anthropic's API root (requests go to <base>/v1/messages).
const DefaultBaseURL = "https://api.anthropic.com"

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
	// Name overrides Name(); default "anthropic".
	Name string
}

// Provider streams Messages. Create it with New.
type Provider struct {
	cfg    Config
	client sdk.Client
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
	if cfg.Name == "" {
		cfg.Name = "anthropic"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithHTTPClient(hc),
		option.WithBaseURL(cfg.BaseURL),
		option.WithMaxRetries(0),
	}
	switch {
	case cfg.AuthToken != "":
		opts = append(opts, option.WithAuthToken(cfg.AuthToken))
	case cfg.APIKey != "":
		// The documented header for API keys (interfaces.md §D.3); the SDK's
		// WithAPIKey would send it as a bearer token instead.
		opts = append(opts, option.WithHeader("x-api-key", cfg.APIKey))
	}
	return &Provider{cfg: cfg, client: sdk.NewClient(opts...)}, nil
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return p.cfg.Name }

// Stream implements llm.Provider.
func (p *Provider) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		params, err := p.params(req)
		if err != nil {
			yield(nil, err)
			return
		}
		wctx, dog := wire.Watch(ctx, p.cfg.IdleTimeout)
		defer dog.Stop()
		stream := p.client.Messages.NewStreaming(wctx, params)
		defer stream.Close()

		type toolBlock struct {
			id, name string
			input    strings.Builder
		}
		tools := map[int64]*toolBlock{}
		var usage llm.Usage
		var stop string
		stopped := false
		for stream.Next() {
			dog.Kick()
			ev := stream.Current()
			switch ev.Type {
			case "message_start":
				usage.InputTokens = int(ev.Message.Usage.InputTokens)
				usage.OutputTokens = int(ev.Message.Usage.OutputTokens)
			case "content_block_start":
				switch cb := ev.ContentBlock; cb.Type {
				case "tool_use":
					tools[ev.Index] = &toolBlock{id: cb.ID, name: cb.Name}
				case "text":
					if cb.Text != "" && !yield(llm.TextDelta{Text: cb.Text}, nil) {
						return
					}
				}
			case "content_block_delta":
				switch d := ev.Delta; d.Type {
				case "text_delta":
					if !yield(llm.TextDelta{Text: d.Text}, nil) {
						return
					}
				case "input_json_delta":
					if tb := tools[ev.Index]; tb != nil {
						tb.input.WriteString(d.PartialJSON)
					}
				}
			case "message_delta":
				if ev.Delta.StopReason != "" {
					stop = string(ev.Delta.StopReason)
				}
				if n := int(ev.Usage.OutputTokens); n > 0 {
					usage.OutputTokens = n // cumulative
				}
				if n := int(ev.Usage.InputTokens); n > 0 {
					usage.InputTokens = n
				}
			case "message_stop":
				stopped = true
			}
		}
		if err := stream.Err(); err != nil {
			yield(nil, p.classify(wctx, err))
			return
		}
		if wctx.Err() != nil {
			yield(nil, wire.Transport(wctx, p.Name(), wctx.Err()))
			return
		}
		if !stopped {
			yield(nil, &llm.ProviderError{Kind: llm.KindMalformedStream, Provider: p.Name(), Msg: "stream ended without message_stop"})
			return
		}
		for _, idx := range slices.Sorted(maps.Keys(tools)) {
			tb := tools[idx]
			in := strings.TrimSpace(tb.input.String())
			if in == "" {
				in = "{}" // a tool without arguments may get no input_json_delta at all
			}
			if !json.Valid([]byte(in)) {
				yield(nil, &llm.ProviderError{Kind: llm.KindMalformedStream, Provider: p.Name(), Msg: fmt.Sprintf("tool_use %s: input is not valid JSON", tb.id)})
				return
			}
			if !yield(llm.ToolCall{ID: tb.id, Name: tb.name, Arguments: json.RawMessage(in)}, nil) {
				return
			}
		}
		if (usage.InputTokens != 0 || usage.OutputTokens != 0) && !yield(usage, nil) {
			return
		}
		yield(llm.Done{Reason: stopReason(stop), Raw: stop}, nil)
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

// params converts an llm.Request to the SDK's request.
func (p *Provider) params(req llm.Request) (sdk.MessageNewParams, error) {
	maxTokens := p.cfg.MaxTokens
	if req.MaxTokens > 0 {
		maxTokens = req.MaxTokens
	}
	params := sdk.MessageNewParams{Model: p.cfg.Model, MaxTokens: int64(maxTokens)}
	system := []string{}
	if req.System != "" {
		system = append(system, req.System)
	}
	type turn struct {
		user   bool
		blocks []sdk.ContentBlockParamUnion
	}
	var turns []turn
	add := func(user bool, blocks ...sdk.ContentBlockParamUnion) {
		if len(blocks) == 0 {
			return
		}
		if n := len(turns); n > 0 && turns[n-1].user == user {
			turns[n-1].blocks = append(turns[n-1].blocks, blocks...)
			return
		}
		turns = append(turns, turn{user: user, blocks: blocks})
	}
	for _, m := range req.Messages {
		switch m.Role {
		case llm.RoleSystem:
			system = append(system, m.Text)
		case llm.RoleUser:
			if m.Text != "" {
				add(true, sdk.NewTextBlock(m.Text))
			}
		case llm.RoleAssistant:
			var blocks []sdk.ContentBlockParamUnion
			if m.Text != "" {
				blocks = append(blocks, sdk.NewTextBlock(m.Text))
			}
			for _, c := range m.ToolCalls {
				in := json.RawMessage(c.Arguments)
				if len(in) == 0 || !json.Valid(in) {
					in = json.RawMessage("{}")
				}
				blocks = append(blocks, sdk.NewToolUseBlock(c.ID, in, c.Name))
			}
			add(false, blocks...)
		case llm.RoleTool:
			add(true, sdk.NewToolResultBlock(m.ToolCallID, m.Text, m.IsError))
		default:
			return params, fmt.Errorf("anthropic: message role %q: %w", m.Role, llm.ErrBadRequest)
		}
	}
	for _, t := range turns {
		if t.user {
			params.Messages = append(params.Messages, sdk.NewUserMessage(t.blocks...))
		} else {
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(t.blocks...))
		}
	}
	if len(system) > 0 {
		params.System = []sdk.TextBlockParam{{Text: strings.Join(system, "\n\n")}}
	}
	for _, t := range req.Tools {
		schema, err := inputSchema(t.InputSchema)
		if err != nil {
			return params, fmt.Errorf("anthropic: schema of tool %s: %w", t.Name, err)
		}
		tp := &sdk.ToolParam{Name: t.Name, InputSchema: schema}
		if t.Description != "" {
			tp.Description = sdk.String(t.Description)
		}
		params.Tools = append(params.Tools, sdk.ToolUnionParam{OfTool: tp})
	}
	return params, nil
}

// inputSchema splits a JSON schema object into the SDK's fields; keys other
// than type, properties and required travel in ExtraFields unchanged.
func inputSchema(raw json.RawMessage) (sdk.ToolInputSchemaParam, error) {
	var s sdk.ToolInputSchemaParam
	if len(raw) == 0 {
		s.Properties = map[string]any{}
		return s, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return s, err
	}
	if props, ok := m["properties"]; ok {
		s.Properties = props
	} else {
		s.Properties = map[string]any{}
	}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if str, ok := r.(string); ok {
				s.Required = append(s.Required, str)
			}
		}
	}
	delete(m, "type")
	delete(m, "properties")
	delete(m, "required")
	if len(m) > 0 {
		s.ExtraFields = m
	}
	return s, nil
}

// classify maps an SDK error to a *llm.ProviderError (or the caller's
// cancellation).
func (p *Provider) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return wire.Transport(ctx, p.Name(), err)
	}
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		status := apiErr.StatusCode
		pe := wire.Status(p.Name(), status, h, apiErr.Message, err)
		if status < 400 { // an `event: error` inside a 200 stream
			pe.Status = 0
			pe.RetryAfter = 0
		}
		// The error type is more precise than the status (529 vs 503, and
		// mid-stream errors have no status of their own).
		switch string(apiErr.Type()) {
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
		default:
			if status < 400 {
				pe.Kind = llm.KindUnavailable
			}
		}
		if pe.Msg == "" {
			pe.Msg = string(apiErr.Type())
		}
		return pe
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || strings.Contains(err.Error(), "invalid character") ||
		strings.Contains(err.Error(), "unexpected end of JSON") || strings.Contains(err.Error(), "received error while streaming") {
		return &llm.ProviderError{Kind: llm.KindMalformedStream, Provider: p.Name(), Msg: "undecodable event", Err: err}
	}
	return wire.Transport(ctx, p.Name(), err)
}
