package openai

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

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	"github.com/zhubhq/zhub/llm"
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
	svc oai.ChatCompletionService
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
	opts := []option.RequestOption{
		option.WithHTTPClient(hc),
		option.WithBaseURL(cfg.BaseURL),
		option.WithMaxRetries(0),
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	// The service is built directly, not through oai.NewClient, which would
	// mix in OPENAI_* environment variables.
	return &Provider{cfg: cfg, svc: oai.NewChatCompletionService(opts...)}, nil
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
		stream := p.svc.NewStreaming(wctx, params)
		defer stream.Close()

		type partial struct {
			id, name string
			args     strings.Builder
		}
		calls := map[int64]*partial{}
		var finish string
		var usage *llm.Usage
		for stream.Next() {
			dog.Kick()
			chunk := stream.Current()
			if chunk.JSON.Usage.Valid() && chunk.Usage.TotalTokens > 0 {
				usage = &llm.Usage{InputTokens: int(chunk.Usage.PromptTokens), OutputTokens: int(chunk.Usage.CompletionTokens)}
			}
			for _, ch := range chunk.Choices {
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
					c := calls[tc.Index]
					if c == nil {
						c = &partial{}
						calls[tc.Index] = c
					}
					if tc.ID != "" {
						c.id = tc.ID
					}
					if tc.Function.Name != "" {
						c.name = tc.Function.Name
					}
					c.args.WriteString(tc.Function.Arguments)
				}
				if ch.FinishReason != "" {
					finish = ch.FinishReason
				}
			}
		}
		if err := stream.Err(); err != nil {
			yield(nil, p.classify(wctx, err))
			return
		}
		if wctx.Err() != nil { // the SDK may end quietly when the body is closed under it
			yield(nil, wire.Transport(wctx, p.Name(), wctx.Err()))
			return
		}
		if finish == "" {
			yield(nil, &llm.ProviderError{Kind: llm.KindMalformedStream, Provider: p.Name(), Msg: "stream ended before the model finished"})
			return
		}
		for _, idx := range slices.Sorted(maps.Keys(calls)) {
			c := calls[idx]
			args := strings.TrimSpace(c.args.String())
			if args == "" {
				args = "{}"
			}
			if c.name == "" {
				yield(nil, &llm.ProviderError{Kind: llm.KindMalformedStream, Provider: p.Name(), Msg: fmt.Sprintf("tool call %d has no name", idx)})
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

// params converts an llm.Request to the SDK's request.
func (p *Provider) params(req llm.Request) (oai.ChatCompletionNewParams, error) {
	var msgs []oai.ChatCompletionMessageParamUnion
	if req.System != "" {
		msgs = append(msgs, oai.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		switch m.Role {
		case llm.RoleSystem:
			msgs = append(msgs, oai.SystemMessage(m.Text))
		case llm.RoleUser:
			msgs = append(msgs, oai.UserMessage(m.Text))
		case llm.RoleAssistant:
			a := oai.ChatCompletionAssistantMessageParam{}
			if m.Text != "" {
				a.Content.OfString = oai.String(m.Text)
			}
			for _, c := range m.ToolCalls {
				args := string(c.Arguments)
				if args == "" {
					args = "{}"
				}
				a.ToolCalls = append(a.ToolCalls, oai.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &oai.ChatCompletionMessageFunctionToolCallParam{
						ID:       c.ID,
						Function: oai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: args},
					},
				})
			}
			msgs = append(msgs, oai.ChatCompletionMessageParamUnion{OfAssistant: &a})
		case llm.RoleTool:
			text := m.Text
			if m.IsError && !strings.HasPrefix(strings.ToLower(text), "error") {
				// Chat Completions has no is_error flag; say it in the text.
				text = "error: " + text
			}
			msgs = append(msgs, oai.ToolMessage(text, m.ToolCallID))
		default:
			return oai.ChatCompletionNewParams{}, fmt.Errorf("openai: message role %q: %w", m.Role, llm.ErrBadRequest)
		}
	}
	params := oai.ChatCompletionNewParams{
		Model:         shared.ChatModel(p.cfg.Model),
		Messages:      msgs,
		StreamOptions: oai.ChatCompletionStreamOptionsParam{IncludeUsage: oai.Bool(true)},
	}
	if n := firstPositive(req.MaxTokens, p.cfg.MaxTokens); n > 0 {
		params.MaxCompletionTokens = oai.Int(int64(n))
	}
	if p.cfg.Temperature != nil {
		params.Temperature = oai.Float(*p.cfg.Temperature)
	}
	for _, t := range req.Tools {
		schema := shared.FunctionParameters{"type": "object", "properties": map[string]any{}}
		if len(t.InputSchema) > 0 {
			schema = shared.FunctionParameters{}
			if err := json.Unmarshal(t.InputSchema, &schema); err != nil {
				return oai.ChatCompletionNewParams{}, fmt.Errorf("openai: schema of tool %s: %w", t.Name, err)
			}
		}
		fd := shared.FunctionDefinitionParam{Name: t.Name, Parameters: schema}
		if t.Description != "" {
			fd.Description = oai.String(t.Description)
		}
		params.Tools = append(params.Tools, oai.ChatCompletionFunctionTool(fd))
	}
	if len(params.Tools) > 0 {
		params.ToolChoice.OfAuto = oai.String("auto")
	}
	return params, nil
}

func firstPositive(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// classify maps an SDK error to a *llm.ProviderError (or the caller's
// cancellation).
func (p *Provider) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return wire.Transport(ctx, p.Name(), err)
	}
	var apiErr *oai.Error
	if errors.As(err, &apiErr) {
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return wire.Status(p.Name(), apiErr.StatusCode, h, apiErr.Message, err)
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		return streamError(p.Name(), se.Event.Data, err)
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || strings.Contains(err.Error(), "invalid character") ||
		strings.Contains(err.Error(), "unexpected end of JSON") {
		return &llm.ProviderError{Kind: llm.KindMalformedStream, Provider: p.Name(), Msg: "undecodable event", Err: err}
	}
	return wire.Transport(ctx, p.Name(), err)
}

// streamError classifies a `data: {"error":{...}}` event.
func streamError(provider string, data []byte, cause error) *llm.ProviderError {
	var body struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &body) // best effort: the SDK already found the key
	e := &llm.ProviderError{Kind: llm.KindUnavailable, Provider: provider, Msg: body.Error.Message, Err: cause}
	what := strings.ToLower(body.Error.Type + " " + fmt.Sprint(body.Error.Code))
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
