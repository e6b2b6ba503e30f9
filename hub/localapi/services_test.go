package localapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/auth/authstore"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/localapi"
)

func TestTokens(t *testing.T) {
	e := startEnv(t, envOptions{noHub: true})
	ctx := t.Context()
	tk, err := auth.New(auth.Config{Store: authstore.Store{S: hubtest.OpenStore(t)}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.SetTokens(tk)

	nt := must[localapi.NewToken](t)(e.client.CreateToken(ctx, "phone"))
	if nt.Name != "phone" || !strings.HasPrefix(nt.Secret, auth.Prefix) || nt.CreatedAt.IsZero() {
		t.Errorf("create answered %+v", nt)
	}
	if name, ok := tk.Verify(ctx, nt.Secret); !ok || name != "phone" {
		t.Errorf("the printed secret does not verify: %q %v", name, ok)
	}
	list := must[[]localapi.Token](t)(e.client.Tokens(ctx))
	if len(list) != 1 || list[0].Name != "phone" {
		t.Errorf("list: %+v", list)
	}
	refusals := []struct {
		name string
		call func() error
		code string
	}{
		{"duplicate", func() error { _, err := e.client.CreateToken(ctx, "phone"); return err }, localapi.CodeExists},
		{"bad name", func() error { _, err := e.client.CreateToken(ctx, "my phone"); return err }, localapi.CodeInvalidName},
		{"revoke unknown", func() error { _, err := e.client.RevokeToken(ctx, "tablet"); return err }, localapi.CodeNotFound},
		{"revoke nameless", func() error { _, err := e.client.RevokeToken(ctx, ""); return err }, localapi.CodeBadRequest},
	}
	for _, tc := range refusals {
		if err := tc.call(); !isCode(err, tc.code) {
			t.Errorf("%s: %v, want code %s", tc.name, err, tc.code)
		}
	}
	if r := must[localapi.RevokeResult](t)(e.client.RevokeToken(ctx, "phone")); r.Revoked != "phone" {
		t.Errorf("revoke answered %+v", r)
	}
	if _, ok := tk.Verify(ctx, nt.Secret); ok {
		t.Error("revoked token still verifies")
	}
}

func TestLogs(t *testing.T) {
	ring := localapi.NewLogRing(localapi.LogRingConfig{Size: 3, Replace: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "token" {
			return slog.String("token", "[redacted]")
		}
		return a
	}})
	var out bytes.Buffer
	log := slog.New(ring.Handler(slog.NewJSONHandler(&out, nil)))
	e := startEnv(t, envOptions{noHub: true, cfg: func(c *localapi.Config) { c.Logs = ring }})
	ctx := t.Context()

	mlog := log.With("module", "mqtt")
	mlog.Debug("not kept", "event", "frame")
	mlog.Info("one", "event", "e1")
	mlog.Info("two", "event", "e2", "token", "zhub_secret")
	mlog.WithGroup("g").Warn("three", "event", "e3", "n", 3)
	log.Error("four", "event", "e4", "err", errors.New("boom"))
	if !strings.Contains(out.String(), `"msg":"one"`) {
		t.Errorf("the daemon's own handler did not get the records:\n%s", out.String())
	}

	st, err := e.client.Logs(ctx, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []localapi.LogRecord
	for {
		rec, err := st.Next()
		if err != nil {
			break
		}
		got = append(got, rec)
	}
	st.Close()
	if len(got) != 3 || got[0].Msg != "two" || got[2].Msg != "four" {
		t.Fatalf("records %+v, want the last three (two, three, four)", got)
	}
	if got[0].Module != "mqtt" || got[0].Event != "e2" || got[0].Attrs["token"] != "[redacted]" || got[0].Level != "INFO" {
		t.Errorf("record two: %+v", got[0])
	}
	if got[1].Attrs["g.n"] != float64(3) || got[1].Event != "" || got[1].Attrs["g.event"] != "e3" {
		t.Errorf("grouped record: %+v", got[1])
	}
	if got[2].Attrs["err"] != "boom" || got[2].Module != "" {
		t.Errorf("record four: %+v", got[2])
	}

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fst, err := e.client.Logs(fctx, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	defer fst.Close()
	if rec, err := fst.Next(); err != nil || rec.Msg != "four" {
		t.Fatalf("first followed record %+v, %v", rec, err)
	}
	log.Info("five", "event", "e5")
	if rec, err := fst.Next(); err != nil || rec.Msg != "five" {
		t.Fatalf("new record %+v, %v", rec, err)
	}
	if _, err := e.client.Logs(ctx, -1, false); !isCode(err, localapi.CodeBadRequest) {
		t.Errorf("negative n: %v", err)
	}
}

// scriptedChat is a chat service that answers with fixed chunks.
type scriptedChat struct {
	chunks []localapi.ChatChunk
	err    error
	got    []localapi.ChatRequest
}

func (c *scriptedChat) Chat(ctx context.Context, req localapi.ChatRequest, emit func(localapi.ChatChunk) error) (string, error) {
	c.got = append(c.got, req)
	for _, ch := range c.chunks {
		if err := emit(ch); err != nil {
			return "", err
		}
	}
	return "conv-1", c.err
}

func TestChat(t *testing.T) {
	e := startEnv(t, envOptions{noHub: true})
	ctx := t.Context()
	tests := []struct {
		name  string
		chat  *scriptedChat
		types []string
		last  localapi.ChatChunk
	}{
		{"answer", &scriptedChat{chunks: []localapi.ChatChunk{{Text: "Dimmed "}, {Text: "it."},
			{Metadata: map[string]any{"type": "device_state", "summary": "kitchen_light → brightness 76"}}}},
			[]string{"text", "text", "metadata", "complete"}, localapi.ChatChunk{Type: "complete", Conversation: "conv-1"}},
		{"failure", &scriptedChat{chunks: []localapi.ChatChunk{{Text: "Let me"}}, err: errors.New("provider: rate limited")},
			[]string{"text", "error"}, localapi.ChatChunk{Type: "error", Error: "provider: rate limited", Code: localapi.CodeInternal}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.SetChat(tc.chat)
			st, err := e.client.Chat(ctx, localapi.ChatRequest{Text: "dim the kitchen light", Conversation: "c0"})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var types []string
			var last localapi.ChatChunk
			for {
				ch, err := st.Next()
				if err != nil {
					break
				}
				types = append(types, ch.Type)
				last = ch
			}
			if strings.Join(types, ",") != strings.Join(tc.types, ",") {
				t.Errorf("chunk types %v, want %v", types, tc.types)
			}
			if last.Type != tc.last.Type || last.Conversation != tc.last.Conversation || last.Error != tc.last.Error || last.Code != tc.last.Code {
				t.Errorf("last chunk %+v, want %+v", last, tc.last)
			}
			if len(tc.chat.got) != 1 || tc.chat.got[0].Text != "dim the kitchen light" || tc.chat.got[0].Conversation != "c0" {
				t.Errorf("chat service got %+v", tc.chat.got)
			}
		})
	}
	if _, err := e.client.Chat(ctx, localapi.ChatRequest{}); !isCode(err, localapi.CodeBadRequest) {
		t.Errorf("empty message: %v", err)
	}
}
