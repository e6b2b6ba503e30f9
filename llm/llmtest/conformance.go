package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
)

// Adapter describes a provider adapter to the checks every adapter must
// pass (the llm package's Provider and Loop contracts) against its own
// recorded fixtures in testdata.
type Adapter struct {
	// Name is the provider name errors must carry.
	Name string
	// Ext is the fixture extension: ".sse" or ".ndjson". The checks read
	// stall<Ext> (one text event, then the server stalls), parallel<Ext>
	// (two or more tool calls) and answer<Ext> (the final text
	// "The kitchen light is at 30% and the front door is closed.").
	Ext string
	// New returns the adapter talking to srv with the given idle timeout.
	New func(t testing.TB, srv *Server, idle time.Duration) llm.Provider
}

// DeviceRequest is the request the checks send: a system prompt, one user turn
// and the device tools.
func DeviceRequest() llm.Request {
	return llm.Request{
		System:   "You control a Zigbee home.",
		Messages: []llm.Message{llm.UserMessage("dim the kitchen light to 30%")},
		Tools:    DeviceTools(),
	}
}

// ErrorCase is one failure fixture and what the adapter must make of it.
type ErrorCase struct {
	Name, Fixture string
	Want          error // the llm.ErrXxx kind
	Status        int
	RetryAfter    time.Duration
	Msg           string // checked when not empty
}

// CheckErrors replays each fixture: the stream fails once with a
// *llm.ProviderError of the wanted kind, status, Retry-After and provider
// name, yields no tool call before the failure and sends one request (no
// retries).
func (a Adapter) CheckErrors(t *testing.T, cases []ErrorCase) {
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			srv := NewServer(t, "testdata", tt.Fixture)
			evs, err := Collect(a.New(t, srv, 0).Stream(t.Context(), DeviceRequest()))
			if !errors.Is(err, tt.Want) {
				t.Fatalf("err = %v, want %v", err, tt.Want)
			}
			for _, ev := range evs {
				if _, ok := ev.(llm.ToolCall); ok {
					t.Errorf("a tool call was yielded before the failure: %#v", ev)
				}
			}
			pe, ok := errors.AsType[*llm.ProviderError](err)
			if !ok {
				t.Fatalf("err %T is not a *llm.ProviderError", err)
			}
			if pe.Status != tt.Status || pe.RetryAfter != tt.RetryAfter || pe.Provider != a.Name || (tt.Msg != "" && pe.Msg != tt.Msg) {
				t.Errorf("got status %d retry %v provider %q msg %q, want %d %v %q %q",
					pe.Status, pe.RetryAfter, pe.Provider, pe.Msg, tt.Status, tt.RetryAfter, a.Name, tt.Msg)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no retries)", n)
			}
		})
	}
}

// CheckStall: a server that stops sending mid-answer becomes llm.ErrTimeout
// after the idle timeout, with the text that came before it yielded.
func (a Adapter) CheckStall(t *testing.T) {
	srv := NewServer(t, "testdata", "stall"+a.Ext)
	evs, err := Collect(a.New(t, srv, 50*time.Millisecond).Stream(t.Context(), DeviceRequest()))
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if len(evs) != 1 {
		t.Errorf("events before the stall: %v", evs)
	}
}

// CheckCancel: the caller cancelling mid-answer ends the stream with
// context.Canceled, not a provider failure.
func (a Adapter) CheckCancel(t *testing.T) {
	srv := NewServer(t, "testdata", "stall"+a.Ext)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var err error
	for ev, e := range a.New(t, srv, -1).Stream(ctx, DeviceRequest()) {
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

// CheckLoop runs the tool loop through the adapter: the parallel tool calls
// are executed in order, their results (with wantIDs as call ids) go back in
// the follow-up request in that order, and the answer streams out.
func (a Adapter) CheckLoop(t *testing.T, wantIDs []string) {
	srv := NewServer(t, "testdata", "parallel"+a.Ext, "answer"+a.Ext)
	tools := &ToolSet{Tools: DeviceTools(), Handle: func(_ context.Context, name string, _ json.RawMessage) (llm.ToolResult, error) {
		return llm.ToolResult{Text: "result of " + name}, nil
	}}
	loop, err := llm.NewLoop(llm.Config{Provider: a.New(t, srv, 0), Tools: tools, SystemPrompt: "You control a Zigbee home."})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	added, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage("dim the kitchen light and tell me if the front door is open")},
		func(c llm.Chunk) error { text.WriteString(c.Text); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != "The kitchen light is at 30% and the front door is closed." {
		t.Errorf("answer %q", text.String())
	}
	var ids []string
	for _, m := range added {
		if m.Role == llm.RoleTool {
			ids = append(ids, m.ToolCallID)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("tool results %v, want %v", ids, wantIDs)
	}
	calls := tools.Calls()
	if len(calls) < 2 || calls[0].Name != "set_device" || calls[1].Name != "get_device" {
		t.Errorf("calls %v", calls)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	body := string(reqs[1].Body)
	for i, id := range ids {
		at := strings.Index(body, id)
		if at < 0 || i >= len(calls) || !strings.Contains(body, "result of "+calls[i].Name) {
			t.Errorf("follow-up request lacks the result of %s: %s", id, body)
		}
		if i > 0 && at < strings.Index(body, ids[i-1]) {
			t.Errorf("results out of order in %s", body)
		}
	}
}

// StreamCase is one answer fixture and the events it must turn into.
type StreamCase struct {
	Name, Fixture string
	Want          []llm.Event
}

// CheckStreams replays each fixture and compares the events, in order.
func (a Adapter) CheckStreams(t *testing.T, cases []StreamCase) {
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			srv := NewServer(t, "testdata", tt.Fixture)
			got, err := Collect(a.New(t, srv, 0).Stream(t.Context(), DeviceRequest()))
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if !reflect.DeepEqual(got, tt.Want) {
				t.Errorf("events\n got %#v\nwant %#v", got, tt.Want)
			}
		})
	}
}
