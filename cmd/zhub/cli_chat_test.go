package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zhubhq/zhub/hub/localapi"
)

// echoChat answers every message with fixed chunks and records what it got.
type echoChat struct {
	mu  sync.Mutex
	got []localapi.ChatRequest
}

func (e *echoChat) Chat(ctx context.Context, req localapi.ChatRequest, emit func(localapi.ChatChunk) error) (string, error) {
	e.mu.Lock()
	e.got = append(e.got, req)
	n := len(e.got)
	e.mu.Unlock()
	for _, ch := range []localapi.ChatChunk{
		{Text: "Dimming "}, {Text: "it."},
		{Metadata: map[string]any{"type": "device_state", "summary": "kitchen_light → brightness 76"}},
		{Image: &localapi.ChatImage{MIMEType: "image/svg+xml", Title: "chart", Data: []byte("<svg/>")}},
	} {
		if err := emit(ch); err != nil {
			return "", err
		}
	}
	if req.Conversation != "" {
		return req.Conversation, nil
	}
	return "conv-" + strings.Repeat("x", n), nil
}

// TestChatCLI runs zhub chat (one message, and the interactive prompt fed
// from a pipe) against a local API whose chat service is scripted.
func TestChatCLI(t *testing.T) {
	dir, err := os.MkdirTemp("", "zc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "zhub.sock")
	srv, err := localapi.New(localapi.Config{Socket: sock})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	chat := &echoChat{}

	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"chat", "--socket", sock, "dim", "the", "kitchen", "light"}, nil, &stdout, &stderr); code != exitFailed ||
		!strings.Contains(stderr.String(), "chat not available yet") {
		t.Errorf("without a chat service: exit %d, stderr %q", code, stderr.String())
	}
	srv.SetChat(chat)

	stdout.Reset()
	stderr.Reset()
	if code := run(t.Context(), []string{"chat", "--socket", sock, "dim", "the", "kitchen", "light"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := "Dimming it.\n  → kitchen_light → brightness 76\n  [image \"chart\": image/svg+xml, 6 bytes; the web UI shows it]\n"
	if stdout.String() != want {
		t.Errorf("output %q, want %q", stdout.String(), want)
	}
	if chat.got[0].Text != "dim the kitchen light" || chat.got[0].Conversation != "" {
		t.Errorf("chat service got %+v", chat.got[0])
	}

	// The prompt continues the conversation the first answer named.
	stdout.Reset()
	if code := run(t.Context(), []string{"chat", "--socket", sock}, strings.NewReader("first\n\nsecond\n"), &stdout, &stderr); code != exitOK {
		t.Fatalf("prompt: exit %d: %s", code, stderr.String())
	}
	if len(chat.got) != 3 || chat.got[1].Text != "first" || chat.got[2].Text != "second" ||
		chat.got[1].Conversation != "" || chat.got[2].Conversation != "conv-xx" {
		t.Errorf("prompt requests: %+v", chat.got)
	}
	if strings.Count(stdout.String(), "Dimming it.") != 2 {
		t.Errorf("prompt output: %q", stdout.String())
	}

	stdout.Reset()
	if code := run(t.Context(), []string{"chat", "--socket", sock, "--json", "hi"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("json: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[4], `"type":"complete"`) || !strings.Contains(lines[2], `"type":"metadata"`) {
		t.Errorf("json output:\n%s", stdout.String())
	}
}
