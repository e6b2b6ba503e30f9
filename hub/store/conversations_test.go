package store

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestConversations(t *testing.T) {
	now := testNow
	path := filepath.Join(t.TempDir(), "zhub.db")
	s := openTest(t, Config{Path: path, Now: func() time.Time { return now }})
	ctx := t.Context()

	if _, err := s.Conversation(ctx, "web-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	for _, tc := range []struct {
		name, session string
		msgs          string
	}{
		{"empty session", "", `[]`},
		{"object", "web-1", `{"role":"user"}`},
		{"not JSON", "web-1", `[{"role":`},
		{"null", "web-1", `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.PutConversation(ctx, tc.session, json.RawMessage(tc.msgs)); !errors.Is(err, ErrInvalid) {
				t.Errorf("PutConversation(%q, %s) = %v, want ErrInvalid", tc.session, tc.msgs, err)
			}
		})
	}

	first := `[{"role":"user","text":"dim the kitchen light"}]`
	if err := s.PutConversation(ctx, "web-1", json.RawMessage(first)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	second := `[{"role":"user","text":"dim the kitchen light"},{"role":"assistant","text":"Done."}]`
	if err := s.PutConversation(ctx, "web-1", json.RawMessage(second)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConversation(ctx, "cli-2", json.RawMessage(`[]`)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Conversation(ctx, "web-1"); err != nil || string(got) != second {
		t.Errorf("web-1 = %s, %v; want the replaced conversation", got, err)
	}

	// Both were written at the same hour; a prune at that hour keeps them,
	// a prune an hour later removes both.
	if n, err := s.PruneConversations(ctx, now); err != nil || n != 0 {
		t.Errorf("prune at the last write: %d, %v", n, err)
	}
	if n, err := s.PruneConversations(ctx, now.Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("prune an hour later: %d, %v", n, err)
	}
	if _, err := s.Conversation(ctx, "web-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after prune: %v", err)
	}
}
