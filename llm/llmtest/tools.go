package llmtest

import (
	"context"
	"encoding/json"
	"iter"
	"sync"

	"github.com/zhubhq/zhub/llm"
)

// Collect ranges over a provider stream and returns its events and error.
func Collect(seq iter.Seq2[llm.Event, error]) ([]llm.Event, error) {
	var evs []llm.Event
	for ev, err := range seq {
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// Call is one call a ToolSet received.
type Call struct {
	Name string
	Args json.RawMessage
}

// ToolSet is a hand-written llm.ToolSet: it lists Tools and answers calls
// with Handle (nil Handle answers every call with "ok"). It records calls.
type ToolSet struct {
	Tools  []llm.Tool
	Handle func(ctx context.Context, name string, args json.RawMessage) (llm.ToolResult, error)

	mu    sync.Mutex
	calls []Call
}

var _ llm.ToolSet = (*ToolSet)(nil)

// List implements llm.ToolSet.
func (s *ToolSet) List(context.Context) ([]llm.Tool, error) { return s.Tools, nil }

// Call implements llm.ToolSet.
func (s *ToolSet) Call(ctx context.Context, name string, args json.RawMessage) (llm.ToolResult, error) {
	s.mu.Lock()
	s.calls = append(s.calls, Call{Name: name, Args: append(json.RawMessage(nil), args...)})
	s.mu.Unlock()
	if s.Handle == nil {
		return llm.ToolResult{Text: "ok"}, nil
	}
	return s.Handle(ctx, name, args)
}

// Calls returns the calls received so far.
func (s *ToolSet) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// DeviceTools returns the zhub device tool list (names and schemas as the
// MCP device context publishes them) for tests.
func DeviceTools() []llm.Tool {
	obj := func(props string, req ...string) json.RawMessage {
		r, _ := json.Marshal(req)
		if req == nil {
			r = []byte("[]")
		}
		return json.RawMessage(`{"type":"object","properties":{` + props + `},"required":` + string(r) + `,"additionalProperties":false}`)
	}
	return []llm.Tool{
		{Name: "list_devices", Description: "List the devices with their room, type, capabilities and state.", InputSchema: obj(`"room":{"type":"string"}`)},
		{Name: "get_device", Description: "Get one device's state.", InputSchema: obj(`"device":{"type":"string"}`, "device")},
		{Name: "set_device", Description: "Change a device's state.", InputSchema: obj(`"device":{"type":"string"},"values":{"type":"object"}`, "device", "values")},
		{Name: "get_history", Description: "A property's history over a time range.", InputSchema: obj(`"device":{"type":"string"},"property":{"type":"string"},"from":{"type":"string"},"to":{"type":"string"}`, "device", "property")},
		{Name: "list_rooms", Description: "List the rooms.", InputSchema: obj(``)},
	}
}
