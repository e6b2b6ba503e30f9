package main

import (
	"context"
	"iter"
	"strings"
	"sync"
	"testing"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/ws"
)

// echoProvider answers with the number of user turns it saw and the last
// one, so the test can tell that history is kept per session.
type echoProvider struct {
	mu   sync.Mutex
	seen [][]llm.Message
}

func (p *echoProvider) Name() string { return "echo" }

func (p *echoProvider) Stream(_ context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	p.mu.Lock()
	p.seen = append(p.seen, req.Messages)
	p.mu.Unlock()
	users := 0
	for _, m := range req.Messages {
		if m.Role == llm.RoleUser {
			users++
		}
	}
	last := req.Messages[llm.LastUser(req.Messages)].Text
	return func(yield func(llm.Event, error) bool) {
		for _, e := range []llm.Event{llm.TextDelta{Text: "turn " + string(rune('0'+users)) + ": "}, llm.TextDelta{Text: last}, llm.Done{}} {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestLoopChat(t *testing.T) {
	p := &echoProvider{}
	loop, err := llm.NewLoop(llm.Config{Provider: p})
	if err != nil {
		t.Fatal(err)
	}
	var chat ws.Chat = newLoopChat(loop, nil, nil)
	say := func(session, text string) string {
		t.Helper()
		var b strings.Builder
		if err := chat.Chat(t.Context(), session, text, func(c ws.Chunk) error { b.WriteString(c.Text); return nil }); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, tc := range []struct{ session, text, want string }{
		{"a", "hello", "turn 1: hello"},
		{"a", "again", "turn 2: again"},
		{"b", "other", "turn 1: other"},
		{"a", "third", "turn 3: third"},
	} {
		if got := say(tc.session, tc.text); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.session, tc.text, got, tc.want)
		}
	}
}

func TestWSChunkAndTrim(t *testing.T) {
	c := wsChunk(llm.Chunk{Image: &llm.Image{MIMEType: "image/svg+xml", Title: "t", Data: []byte("<svg/>")}})
	if c.Image == nil || c.Image.MIMEType != "image/svg+xml" || string(c.Image.Data) != "<svg/>" {
		t.Errorf("image chunk %+v", c)
	}
	conv := []llm.Message{llm.UserMessage("1"), {Role: llm.RoleAssistant}, {Role: llm.RoleTool}, llm.UserMessage("2"), {Role: llm.RoleAssistant}}
	if got := trimConversation(conv, 3); len(got) != 2 || got[0].Text != "2" {
		t.Errorf("trim: %+v", got)
	}
}
