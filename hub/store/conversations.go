package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const (
	qPutConversation = `
INSERT INTO conversations (session, messages, updated_at) VALUES (?, ?, ?)
ON CONFLICT (session) DO UPDATE SET messages = excluded.messages, updated_at = excluded.updated_at`
	qPruneConversations = `DELETE FROM conversations WHERE session IN (SELECT session FROM conversations WHERE updated_at < ? LIMIT ?)`
)

// Conversation returns the stored messages of a chat session (a JSON
// array, verbatim as PutConversation stored it); an unknown session fails
// with ErrNotFound.
func (s *Store) Conversation(ctx context.Context, session string) (json.RawMessage, error) {
	if s.closed() {
		return nil, fmt.Errorf("store: conversation: %w", ErrClosed)
	}
	var v string
	err := s.readers.QueryRowContext(ctx, `SELECT messages FROM conversations WHERE session = ?`, session).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("store: conversation %q: %w", session, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("store: conversation %q: %w", session, err)
	}
	return json.RawMessage(v), nil
}

// PutConversation stores the messages of a chat session, replacing what
// it held. messages must be a JSON array (ErrInvalid otherwise); the
// session name must not be empty. Trimming to a budget is the caller's.
func (s *Store) PutConversation(ctx context.Context, session string, messages json.RawMessage) error {
	if session == "" {
		return fmt.Errorf("store: put conversation: empty session: %w", ErrInvalid)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(messages, &arr); err != nil || arr == nil {
		return fmt.Errorf("store: put conversation %q: messages are not a JSON array: %w", session, ErrInvalid)
	}
	now := s.now()
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qPutConversation, session, string(messages), toMS(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: put conversation %q: %w", session, err)
	}
	return nil
}

// PruneConversations deletes the conversations not updated since
// olderThan and returns how many went.
func (s *Store) PruneConversations(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.prune(ctx, qPruneConversations, olderThan)
	if err != nil {
		return n, fmt.Errorf("store: prune conversations: %w", err)
	}
	return n, nil
}
