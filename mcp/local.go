package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Local is an in-memory MCP client session on the server: the chat loop's
// way to the tools, through the SDK's in-memory transport, so it sees
// exactly what an external client sees and is held to the same rules. It
// is safe for concurrent use.
type Local struct {
	cs *sdk.ClientSession
	ss *sdk.ServerSession
}

// LocalOptions tune Connect.
type LocalOptions struct {
	// ProtocolVersion forces a protocol revision (e.g. "2025-11-25"); empty
	// lets the SDK negotiate the newest.
	ProtocolVersion string
	// Client names the client (default "zhub-chat").
	Client string
	// ClientOptions, if set, configure the SDK client (notification
	// handlers in tests).
	ClientOptions *sdk.ClientOptions
}

// Connect opens an in-memory session; it lives until Close.
func (s *Server) Connect(ctx context.Context, o LocalOptions) (*Local, error) {
	st, ct := sdk.NewInMemoryTransports()
	ss, err := s.sdk.Connect(ctx, st, nil)
	if err != nil {
		return nil, fmt.Errorf("mcp: in-memory session: %w", err)
	}
	name := o.Client
	if name == "" {
		name = "zhub-chat"
	}
	client := sdk.NewClient(&sdk.Implementation{Name: name, Version: s.cfg.Version}, o.ClientOptions)
	cs, err := client.Connect(ctx, ct, &sdk.ClientSessionOptions{ProtocolVersion: o.ProtocolVersion})
	if err != nil {
		ss.Close()
		return nil, fmt.Errorf("mcp: in-memory session: %w", err)
	}
	return &Local{cs: cs, ss: ss}, nil
}

// Session returns the SDK client session.
func (l *Local) Session() *sdk.ClientSession { return l.cs }

// Close ends the session.
func (l *Local) Close() error {
	err := l.cs.Close()
	_ = l.ss.Wait()
	return err
}

// ToolInfo is one tool as a model sees it.
type ToolInfo struct {
	Name        string          `json:"name"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// Tools lists every tool, in the server's (deterministic) order.
func (l *Local) Tools(ctx context.Context) ([]ToolInfo, error) {
	var out []ToolInfo
	for t, err := range l.cs.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("mcp: list tools: %w", err)
		}
		schema, err := json.Marshal(t.InputSchema)
		if err != nil {
			return nil, fmt.Errorf("mcp: list tools: %s: %w", t.Name, err)
		}
		out = append(out, ToolInfo{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: schema})
	}
	return out, nil
}

// CallResult is the outcome of one tool call.
type CallResult struct {
	// Text is the text content (the JSON of the result, or the error
	// sentence when IsError).
	Text string
	// Structured is the structured content (nil on errors).
	Structured json.RawMessage
	IsError    bool
}

// Call runs a tool. A tool execution error (bad arguments, a refusal, a
// device that did not answer) is a result with IsError; a protocol error
// (unknown tool, malformed request) is returned as an error.
func (l *Local) Call(ctx context.Context, name string, args json.RawMessage) (CallResult, error) {
	var a any = map[string]any{}
	if len(args) > 0 && string(args) != "null" {
		a = args
	}
	res, err := l.cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: a})
	if err != nil {
		return CallResult{}, fmt.Errorf("mcp: call %s: %w", name, err)
	}
	out := CallResult{IsError: res.IsError}
	var texts []string
	for _, c := range res.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			texts = append(texts, t.Text)
		}
	}
	out.Text = strings.Join(texts, "\n")
	if res.StructuredContent != nil && !res.IsError {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return CallResult{}, fmt.Errorf("mcp: call %s: structured content: %w", name, err)
		}
		out.Structured = b
	}
	return out, nil
}
