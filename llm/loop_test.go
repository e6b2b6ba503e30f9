package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/rules"
)

// script is a hand-written provider: each Stream call plays the next turn
// (the last one repeats). A turn's events are yielded in order; a nil
// event with err set fails the stream there; block makes the stream wait
// for ctx before its events.
type script struct {
	mu    sync.Mutex
	turns []turn
	reqs  []llm.Request
}

type turn struct {
	events []llm.Event
	err    error
	block  bool
}

func (s *script) Name() string { return "script" }

func (s *script) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		t := s.turns[min(len(s.reqs), len(s.turns))-1]
		s.mu.Unlock()
		if t.block {
			<-ctx.Done()
			yield(nil, ctx.Err())
			return
		}
		for _, ev := range t.events {
			if !yield(ev, nil) {
				return
			}
		}
		if t.err != nil {
			yield(nil, t.err)
		}
	}
}

func (s *script) requests() []llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func text(s string) turn {
	return turn{events: []llm.Event{llm.TextDelta{Text: s}, llm.Done{Reason: llm.StopEnd}}}
}

func calls(cs ...llm.ToolCall) turn {
	evs := []llm.Event{}
	for _, c := range cs {
		evs = append(evs, c)
	}
	return turn{events: append(evs, llm.Done{Reason: llm.StopToolUse})}
}

func tc(id, name, args string) llm.ToolCall {
	return llm.ToolCall{ID: id, Name: name, Arguments: json.RawMessage(args)}
}

func run(t *testing.T, cfg llm.Config, say string) ([]llm.Message, []llm.Chunk, error) {
	t.Helper()
	loop, err := llm.NewLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []llm.Chunk
	added, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage(say)}, func(c llm.Chunk) error {
		chunks = append(chunks, c)
		return nil
	})
	return added, chunks, err
}

func textOf(chunks []llm.Chunk) string {
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString(c.Text)
	}
	return b.String()
}

func TestLoopRunsToolsAndStreams(t *testing.T) {
	p := &script{turns: []turn{
		{events: []llm.Event{
			llm.TextDelta{Text: "Dimming. "},
			tc("c1", "set_device", `{"name":"kitchen_light","values":{"brightness":76}}`),
			tc("c2", "get_device", `{"name":"front_door"}`),
			llm.Usage{InputTokens: 10, OutputTokens: 5},
			llm.Done{Reason: llm.StopToolUse},
		}},
		text("Done: 30%, and the door is closed."),
	}}
	tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools(), Handle: func(_ context.Context, name string, _ json.RawMessage) (llm.ToolResult, error) {
		if name == "set_device" {
			return llm.ToolResult{Text: `{"state":"ON","brightness":76}`, Structured: json.RawMessage(`{"state":"ON","brightness":76}`),
				Metadata: map[string]any{"device": "kitchen_light", "state": map[string]any{"brightness": 76}}}, nil
		}
		return llm.ToolResult{Text: `{"contact":true}`}, nil
	}}
	added, chunks, err := run(t, llm.Config{Provider: p, Tools: tools, SystemPrompt: "sys"}, "dim the kitchen light")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range chunks {
		switch {
		case c.Text != "":
			kinds = append(kinds, "text")
		case c.Metadata != nil:
			kinds = append(kinds, c.Metadata["type"].(string))
		}
	}
	want := []string{"text", "usage", "tool_call", "tool_result", "device_state", "tool_call", "tool_result", "text"}
	if !slices.Equal(kinds, want) {
		t.Errorf("chunks %v\nwant   %v", kinds, want)
	}
	for _, c := range chunks {
		if c.Metadata["type"] == "device_state" && c.Metadata["summary"] != "kitchen_light → brightness 76" {
			t.Errorf("summary %v", c.Metadata["summary"])
		}
	}
	if got := textOf(chunks); got != "Dimming. Done: 30%, and the door is closed." {
		t.Errorf("text %q", got)
	}
	if len(added) != 4 || added[0].Role != llm.RoleAssistant || len(added[0].ToolCalls) != 2 ||
		added[1].ToolCallID != "c1" || added[2].ToolCallID != "c2" || added[3].Text != "Done: 30%, and the door is closed." {
		t.Errorf("added %+v", added)
	}
	reqs := p.requests()
	if len(reqs) != 2 || reqs[0].System != "sys" || len(reqs[0].Tools) != 5 {
		t.Fatalf("requests %+v", reqs)
	}
	second := reqs[1].Messages
	if len(second) != 4 || second[2].Role != llm.RoleTool || second[2].Text != `{"state":"ON","brightness":76}` || second[3].ToolCallID != "c2" {
		t.Errorf("follow-up %+v", second)
	}
	if got := tools.Calls(); len(got) != 2 || got[0].Name != "set_device" || got[1].Name != "get_device" {
		t.Errorf("calls %v", got)
	}
}

func TestToolFailuresGoBackToTheModel(t *testing.T) {
	tests := []struct {
		name      string
		call      llm.ToolCall
		allow     func(string) bool
		handle    func(context.Context, string, json.RawMessage) (llm.ToolResult, error)
		perTool   time.Duration
		wantText  string
		wantCalls int
	}{
		{"tool returns an error", tc("c1", "set_device", `{"name":"hall"}`), nil,
			func(context.Context, string, json.RawMessage) (llm.ToolResult, error) {
				return llm.ToolResult{}, errors.New("device hall is offline")
			}, 0, "error: device hall is offline", 1},
		{"tool reports an error result", tc("c1", "set_device", `{"name":"hall"}`), nil,
			func(context.Context, string, json.RawMessage) (llm.ToolResult, error) {
				return llm.ToolResult{IsError: true, Text: "brightness must be 0..254"}, nil
			}, 0, "brightness must be 0..254", 1},
		{"unknown tool", tc("c1", "remove_device", `{"name":"hall"}`), nil, nil, 0,
			`error: tool "remove_device" is not available in this chat (available: list_devices, get_device, set_device, get_history, list_rooms); nothing was done`, 0},
		{"tool the configuration forbids", tc("c1", "set_device", `{"name":"hall"}`), func(n string) bool { return n != "set_device" }, nil, 0,
			`error: tool "set_device" is not available in this chat (available: list_devices, get_device, get_history, list_rooms); nothing was done`, 0},
		{"arguments are not an object", tc("c1", "set_device", `["hall"]`), nil, nil, 0,
			"error: the arguments for set_device must be a JSON object; nothing was done", 0},
		{"arguments are not JSON", tc("c1", "set_device", `{"name":`), nil, nil, 0,
			"error: the arguments for set_device must be a JSON object; nothing was done", 0},
		{"tool hangs past its timeout", tc("c1", "get_device", `{"name":"hall"}`), nil,
			func(ctx context.Context, _ string, _ json.RawMessage) (llm.ToolResult, error) {
				<-ctx.Done()
				return llm.ToolResult{}, ctx.Err()
			}, 20 * time.Millisecond, "error: get_device did not finish within 20ms", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &script{turns: []turn{calls(tt.call), text("Sorry, that did not work.")}}
			tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools(), Handle: tt.handle}
			added, chunks, err := run(t, llm.Config{Provider: p, Tools: tools, Allow: tt.allow, PerToolTimeout: tt.perTool}, "do it")
			if err != nil {
				t.Fatalf("run failed instead of telling the model: %v", err)
			}
			res := added[1]
			if res.Role != llm.RoleTool || !res.IsError || res.Text != tt.wantText || res.ToolCallID != "c1" {
				t.Errorf("tool result %+v\nwant text %q", res, tt.wantText)
			}
			if n := len(tools.Calls()); n != tt.wantCalls {
				t.Errorf("tool set called %d times, want %d", n, tt.wantCalls)
			}
			if textOf(chunks) != "Sorry, that did not work." {
				t.Errorf("final text %q", textOf(chunks))
			}
			if tt.allow != nil {
				for _, tool := range p.requests()[0].Tools {
					if !tt.allow(tool.Name) {
						t.Errorf("the model was shown %s", tool.Name)
					}
				}
			}
		})
	}
}

func TestMaxIterations(t *testing.T) {
	p := &script{turns: []turn{calls(tc("same_id", "get_device", `{"name":"hall"}`))}}
	tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools()}
	added, _, err := run(t, llm.Config{Provider: p, Tools: tools, MaxIterations: 3}, "loop forever")
	if !errors.Is(err, llm.ErrMaxIterations) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "3 rounds") {
		t.Errorf("error does not say why: %v", err)
	}
	if n := len(tools.Calls()); n != 3 {
		t.Errorf("%d tool calls, want 3", n)
	}
	if len(added) != 6 || added[0].ToolCalls[0].ID == "" || added[0].ToolCalls[0].ID == added[2].ToolCalls[0].ID {
		t.Errorf("added %+v (ids must be filled in and unique)", added)
	}
}

func TestProviderFailureRunsNoTools(t *testing.T) {
	perr := &llm.ProviderError{Kind: llm.KindOverloaded, Provider: "script", Msg: "Overloaded"}
	tests := []struct {
		name string
		turn turn
		want error
	}{
		{"error after a tool call", turn{events: []llm.Event{tc("c1", "set_device", `{}`)}, err: perr}, llm.ErrOverloaded},
		{"stream without Done", turn{events: []llm.Event{tc("c1", "set_device", `{}`)}}, llm.ErrMalformedStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools()}
			_, _, err := run(t, llm.Config{Provider: &script{turns: []turn{tt.turn}}, Tools: tools}, "x")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if len(tools.Calls()) != 0 {
				t.Errorf("a tool ran from a failed stream: %v", tools.Calls())
			}
		})
	}
}

func TestCancellation(t *testing.T) {
	t.Run("during a tool call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		started := make(chan struct{})
		toolCtxDone := make(chan struct{})
		tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools(), Handle: func(ctx context.Context, _ string, _ json.RawMessage) (llm.ToolResult, error) {
			close(started)
			<-ctx.Done()
			close(toolCtxDone)
			return llm.ToolResult{}, ctx.Err()
		}}
		p := &script{turns: []turn{calls(tc("c1", "set_device", `{}`), tc("c2", "set_device", `{}`)), text("never")}}
		loop, _ := llm.NewLoop(llm.Config{Provider: p, Tools: tools})
		go func() {
			<-started
			cancel()
		}()
		_, err := loop.Run(ctx, []llm.Message{llm.UserMessage("x")}, func(llm.Chunk) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		<-toolCtxDone
		if len(tools.Calls()) != 1 || len(p.requests()) != 1 {
			t.Errorf("work went on after cancellation: %d calls, %d requests", len(tools.Calls()), len(p.requests()))
		}
	})
	t.Run("while the provider streams", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		loop, _ := llm.NewLoop(llm.Config{Provider: &script{turns: []turn{{block: true}}}})
		go cancel()
		_, err := loop.Run(ctx, []llm.Message{llm.UserMessage("x")}, func(llm.Chunk) error { return nil })
		if !errors.Is(err, context.Canceled) || errors.Is(err, llm.ErrTimeout) {
			t.Fatalf("err = %v, want context.Canceled and not a timeout", err)
		}
	})
	t.Run("with the rules provider", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		loop, _ := llm.NewLoop(llm.Config{Provider: rules.New(rules.Config{}), Tools: &llmtest.ToolSet{Tools: llmtest.DeviceTools()}})
		_, err := loop.Run(ctx, []llm.Message{llm.UserMessage("turn on the kitchen light")}, func(llm.Chunk) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRequestTimeout(t *testing.T) {
	loop, _ := llm.NewLoop(llm.Config{Provider: &script{turns: []turn{{block: true}}}, RequestTimeout: 20 * time.Millisecond})
	_, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage("x")}, func(llm.Chunk) error { return nil })
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "exceeded 20ms") {
		t.Errorf("error does not say which limit: %v", err)
	}
}

func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("client went away")
	tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools()}
	loop, _ := llm.NewLoop(llm.Config{Provider: &script{turns: []turn{{events: []llm.Event{
		llm.TextDelta{Text: "hi"}, tc("c1", "set_device", `{}`), llm.Done{Reason: llm.StopToolUse},
	}}}}, Tools: tools})
	_, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage("x")}, func(llm.Chunk) error { return stop })
	if !errors.Is(err, stop) || len(tools.Calls()) != 0 {
		t.Fatalf("err = %v, calls %v", err, tools.Calls())
	}
}

func TestChartAndImages(t *testing.T) {
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools(), Handle: func(context.Context, string, json.RawMessage) (llm.ToolResult, error) {
		return llm.ToolResult{Text: "[]", Chart: &llm.Chart{Title: "bedroom temperature", Points: []llm.Point{{T: now, V: 20}, {T: now.Add(time.Hour), V: 21}}},
			Images: []llm.Image{{MIMEType: "image/png", Data: []byte{0x89, 'P', 'N', 'G'}}}}, nil
	}}
	p := &script{turns: []turn{calls(tc("c1", "get_history", `{"name":"bedroom_sensor","property":"temperature"}`)), text("ok")}}
	_, chunks, err := run(t, llm.Config{Provider: p, Tools: tools}, "history")
	if err != nil {
		t.Fatal(err)
	}
	var imgs []*llm.Image
	for _, c := range chunks {
		if c.Image != nil {
			imgs = append(imgs, c.Image)
		}
	}
	if len(imgs) != 2 || imgs[0].MIMEType != "image/svg+xml" || imgs[0].Title != "bedroom temperature" || imgs[1].MIMEType != "image/png" {
		t.Fatalf("images %+v", imgs)
	}
}

func TestNewLoopNeedsProvider(t *testing.T) {
	if _, err := llm.NewLoop(llm.Config{}); !errors.Is(err, llm.ErrConfig) {
		t.Errorf("err = %v", err)
	}
}
