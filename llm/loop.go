package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// ToolSet is where the loop's tools come from. In zhub it is the MCP device
// context reached through the in-memory transport; any implementation must be
// safe for use by one Run at a time per call sequence (the loop never calls it
// concurrently from one Run).
type ToolSet interface {
	// List returns the tools the model may call, in a stable order.
	List(ctx context.Context) ([]Tool, error)
	// Call runs one tool. A failure the model can act on (device offline,
	// value out of range) should be a result with IsError set; a returned
	// error is also given back to the model as an error result.
	Call(ctx context.Context, name string, args json.RawMessage) (ToolResult, error)
}

// ToolResult is the outcome of one tool call.
type ToolResult struct {
	// Text is what the model reads (MCP's text content; JSON is fine).
	Text string
	// Structured is the machine-readable result (MCP structuredContent),
	// forwarded in the "tool_result" chunk; when Text is empty the model
	// reads this instead.
	Structured json.RawMessage
	// IsError marks a failed call; the model reads Text as the reason.
	IsError bool
	// Metadata, when set, is the state a device reported back after an
	// action. The loop emits it as a "device_state" metadata chunk; keys
	// "device" (string) and "state" (object) produce its "summary".
	Metadata map[string]any
	// Chart, when set, is drawn with ChartSVG and emitted as an image chunk.
	Chart *Chart
	// Images are emitted as image chunks (MCP image content).
	Images []Image
}

// Image is a picture for the chat client.
type Image struct {
	MIMEType string `json:"mime_type"`
	Title    string `json:"title,omitempty"`
	Data     []byte `json:"data"`
}

// Chunk is one piece of a streamed answer: assistant text, a metadata
// object (Metadata["type"] names it) or an image. Exactly one field is set.
type Chunk struct {
	Text     string
	Metadata map[string]any
	Image    *Image
}

// Config configures a Loop. Zero values mean the documented defaults.
type Config struct {
	Provider Provider // required
	// Tools supplies the tool list and runs calls; nil means no tools.
	Tools ToolSet
	// Allow, if set, filters the listed tools: the model sees and may call
	// only those for which it returns true. A call to anything else is
	// refused with an error result and never reaches Tools.
	Allow func(name string) bool
	// SystemPrompt is sent as the system prompt. SystemPromptFunc, if set,
	// replaces it and is called once per Run with the allowed tools (e.g. to
	// add the device context).
	SystemPrompt     string
	SystemPromptFunc func(ctx context.Context, tools []Tool) (string, error)
	// MaxIterations bounds provider calls per Run (default 8).
	MaxIterations int
	// PerToolTimeout bounds each tool call (default 15s).
	PerToolTimeout time.Duration
	// RequestTimeout bounds the whole Run (default 2m).
	RequestTimeout time.Duration
	// MaxTokens is passed to the provider (0: its default).
	MaxTokens int
	// Logger; nil discards.
	Logger *slog.Logger
}

// Loop runs chat requests through a provider and a tool set. It is safe for
// concurrent use: each Run is independent.
type Loop struct {
	cfg Config
	log *slog.Logger
}

// errRequestTimeout is the cancellation cause of Run's own deadline, so a
// timeout of the whole request is told apart from the caller's deadline.
var errRequestTimeout = errors.New("llm: request timeout")

// NewLoop validates cfg and fills in defaults. It does no I/O.
func NewLoop(cfg Config) (*Loop, error) {
	if cfg.Provider == nil {
		return nil, fmt.Errorf("llm: new loop: no provider: %w", ErrConfig)
	}
	if cfg.MaxIterations <= 0 {
		cfg.MaxIterations = 8
	}
	if cfg.PerToolTimeout <= 0 {
		cfg.PerToolTimeout = 15 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 2 * time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loop{cfg: cfg, log: log}, nil
}

// Run answers the conversation conv (its last message is normally the user's
// new request). It streams chunks to emit and returns the messages it added:
// assistant turns, tool results and the final answer. See the package
// documentation for the contract.
func (l *Loop) Run(ctx context.Context, conv []Message, emit func(Chunk) error) ([]Message, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, l.cfg.RequestTimeout, errRequestTimeout)
	defer cancel()
	var added []Message
	iterations, err := l.run(ctx, conv, emit, &added)
	err = l.finalErr(ctx, err)
	l.log.LogAttrs(ctx, slog.LevelInfo, "chat request done",
		slog.String("event", "chat_done"),
		slog.String("provider", l.cfg.Provider.Name()),
		slog.Int("iterations", iterations),
		slog.Int64("elapsed_ms", time.Since(start).Milliseconds()),
		slog.Bool("ok", err == nil))
	return added, err
}

// finalErr turns the loop's own deadline into a clear error and leaves the
// caller's cancellation as it is.
func (l *Loop) finalErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if context.Cause(ctx) == errRequestTimeout {
		return fmt.Errorf("llm: chat request exceeded %s: %w", l.cfg.RequestTimeout, ErrTimeout)
	}
	return err
}

func (l *Loop) run(ctx context.Context, conv []Message, emit func(Chunk) error, added *[]Message) (int, error) {
	var tools []Tool
	if l.cfg.Tools != nil {
		all, err := l.cfg.Tools.List(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("llm: list tools: %w", err)
		}
		for _, t := range all {
			if l.cfg.Allow == nil || l.cfg.Allow(t.Name) {
				tools = append(tools, t)
			}
		}
	}
	system := l.cfg.SystemPrompt
	if l.cfg.SystemPromptFunc != nil {
		s, err := l.cfg.SystemPromptFunc(ctx, tools)
		if err != nil {
			return 0, fmt.Errorf("llm: system prompt: %w", err)
		}
		system = s
	}
	history := slices.Clip(conv)
	seen := map[string]bool{}
	for _, m := range conv {
		for _, c := range m.ToolCalls {
			seen[c.ID] = true
		}
	}
	for iter := 1; iter <= l.cfg.MaxIterations; iter++ {
		req := Request{System: system, Messages: history, Tools: tools, MaxTokens: l.cfg.MaxTokens}
		msg, err := l.turn(ctx, req, iter, seen, emit)
		if err != nil {
			return iter, err
		}
		history = append(history, msg)
		*added = append(*added, msg)
		if len(msg.ToolCalls) == 0 {
			return iter, nil
		}
		for _, call := range msg.ToolCalls {
			if err := ctx.Err(); err != nil {
				return iter, err
			}
			res, err := l.call(ctx, tools, call, emit)
			if err != nil {
				return iter, err
			}
			history = append(history, res)
			*added = append(*added, res)
		}
	}
	return l.cfg.MaxIterations, fmt.Errorf("llm: stopped after %d rounds of tool calls without a final answer: %w", l.cfg.MaxIterations, ErrMaxIterations)
}

// turn runs one provider call and returns the assistant message. Tool calls
// are only returned when the stream ended cleanly.
//
// Call ids are made unique within the conversation (seen): a provider that
// sends none, or repeats one across turns (Ollama), gets "call_<iter>_<n>".
func (l *Loop) turn(ctx context.Context, req Request, iter int, seen map[string]bool, emit func(Chunk) error) (Message, error) {
	msg := Message{Role: RoleAssistant}
	var text strings.Builder
	done := false
	for ev, err := range l.cfg.Provider.Stream(ctx, req) {
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, ErrTimeout) {
				return Message{}, ctx.Err()
			}
			return Message{}, err
		}
		switch ev := ev.(type) {
		case TextDelta:
			if ev.Text == "" {
				continue
			}
			text.WriteString(ev.Text)
			if err := emit(Chunk{Text: ev.Text}); err != nil {
				return Message{}, err
			}
		case ToolCall:
			if ev.ID == "" || seen[ev.ID] {
				ev.ID = fmt.Sprintf("call_%d_%d", iter, len(msg.ToolCalls)+1)
			}
			seen[ev.ID] = true
			msg.ToolCalls = append(msg.ToolCalls, ev)
		case Usage:
			err := emit(Chunk{Metadata: map[string]any{
				"type": "usage", "provider": l.cfg.Provider.Name(),
				"input_tokens": ev.InputTokens, "output_tokens": ev.OutputTokens,
			}})
			if err != nil {
				return Message{}, err
			}
		case Done:
			done = true
		}
	}
	if !done {
		// A provider that ends its sequence without Done or an error broke
		// its contract; treat it as a cut stream and run nothing.
		if ctx.Err() != nil {
			return Message{}, ctx.Err()
		}
		return Message{}, &ProviderError{Kind: KindMalformedStream, Provider: l.cfg.Provider.Name(), Msg: "stream ended without a stop reason"}
	}
	msg.Text = text.String()
	return msg, nil
}

// call runs one tool call and returns its tool message. Only emit failures
// and cancellation are returned as errors; everything else is a result.
func (l *Loop) call(ctx context.Context, tools []Tool, call ToolCall, emit func(Chunk) error) (Message, error) {
	args := bytes.TrimSpace(call.Arguments)
	if len(args) == 0 {
		args = []byte("{}")
	}
	err := emit(Chunk{Metadata: map[string]any{
		"type": "tool_call", "tool": call.Name, "call_id": call.ID, "arguments": argsForChunk(args),
	}})
	if err != nil {
		return Message{}, err
	}
	start := time.Now()
	res := l.exec(ctx, tools, call.Name, args)
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	l.log.LogAttrs(ctx, slog.LevelDebug, "tool call",
		slog.String("event", "tool_call"),
		slog.String("tool", call.Name),
		slog.Bool("is_error", res.IsError),
		slog.Int64("elapsed_ms", time.Since(start).Milliseconds()))

	text := res.Text
	if text == "" && len(res.Structured) > 0 {
		text = string(res.Structured)
	}
	if text == "" && res.IsError {
		text = "error: the tool failed without saying why"
	}
	var result any = text
	if len(res.Structured) > 0 && json.Valid(res.Structured) {
		result = res.Structured
	}
	if err := emit(Chunk{Metadata: map[string]any{
		"type": "tool_result", "tool": call.Name, "call_id": call.ID, "is_error": res.IsError, "result": result,
	}}); err != nil {
		return Message{}, err
	}
	if len(res.Metadata) > 0 && !res.IsError {
		if err := emit(Chunk{Metadata: deviceState(res.Metadata)}); err != nil {
			return Message{}, err
		}
	}
	if res.Chart != nil {
		img := &Image{MIMEType: "image/svg+xml", Title: res.Chart.Title, Data: []byte(ChartSVG(res.Chart.Title, res.Chart.Points))}
		if err := emit(Chunk{Image: img}); err != nil {
			return Message{}, err
		}
	}
	for i := range res.Images {
		if err := emit(Chunk{Image: &res.Images[i]}); err != nil {
			return Message{}, err
		}
	}
	return Message{Role: RoleTool, ToolCallID: call.ID, ToolName: call.Name, Text: text, IsError: res.IsError}, nil
}

// exec validates and runs one call; every failure becomes an error result.
func (l *Loop) exec(ctx context.Context, tools []Tool, name string, args []byte) ToolResult {
	if !slices.ContainsFunc(tools, func(t Tool) bool { return t.Name == name }) {
		names := make([]string, len(tools))
		for i, t := range tools {
			names[i] = t.Name
		}
		avail := "none"
		if len(names) > 0 {
			avail = strings.Join(names, ", ")
		}
		return ToolResult{IsError: true, Text: fmt.Sprintf("error: tool %q is not available in this chat (available: %s); nothing was done", name, avail)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(args, &obj); err != nil || obj == nil {
		return ToolResult{IsError: true, Text: fmt.Sprintf("error: the arguments for %s must be a JSON object; nothing was done", name)}
	}
	cctx, cancel := context.WithTimeout(ctx, l.cfg.PerToolTimeout)
	defer cancel()
	res, err := l.cfg.Tools.Call(cctx, name, args)
	switch {
	case ctx.Err() != nil:
		return ToolResult{IsError: true, Text: "error: cancelled"}
	case err != nil && cctx.Err() != nil:
		return ToolResult{IsError: true, Text: fmt.Sprintf("error: %s did not finish within %s", name, l.cfg.PerToolTimeout)}
	case err != nil:
		return ToolResult{IsError: true, Text: "error: " + err.Error()}
	}
	return res
}

// argsForChunk returns args as raw JSON when valid, else as a string.
func argsForChunk(args []byte) any {
	if json.Valid(args) {
		return json.RawMessage(args)
	}
	return string(args)
}

// deviceState turns a tool's Metadata into a "device_state" chunk object.
func deviceState(md map[string]any) map[string]any {
	out := maps.Clone(md)
	if _, ok := out["type"]; !ok {
		out["type"] = "device_state"
	}
	if _, ok := out["summary"]; !ok {
		dev, _ := out["device"].(string)
		state, _ := out["state"].(map[string]any)
		if dev != "" && len(state) > 0 {
			keys := slices.Sorted(maps.Keys(state))
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s %v", k, state[k])
			}
			out["summary"] = dev + " → " + strings.Join(parts, ", ")
		}
	}
	return out
}
