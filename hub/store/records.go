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
	qAppendEvent = `INSERT INTO events (ts, kind, device, data) VALUES (?, ?, ?, ?)`
	qPruneEvents = `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? LIMIT ?)`
	qPutToken    = `
INSERT INTO tokens (name, hash, created_at, last_used_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at,
	last_used_at = excluded.last_used_at`
	qDeleteToken = `DELETE FROM tokens WHERE name = ?`
	qTouchToken  = `UPDATE tokens SET last_used_at = ? WHERE name = ?`
	qSetSetting  = `
INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`
)

// MaxEventsLimit caps the events one Events call returns.
const MaxEventsLimit = 1000

// Event is one entry of the event log (device joined, left, renamed,
// interview finished, ...). The log is bounded by PruneEvents, which the
// owner calls periodically.
type Event struct {
	ID     int64           // assigned by the store, strictly increasing, never reused
	At     time.Time       // zero: the store's clock
	Kind   string          // stable snake_case, e.g. "device_joined"; required
	Device string          // IEEE address or name the event concerns; "" if none
	Data   json.RawMessage // nil or valid JSON
}

// AppendEvent adds e to the event log (e.ID is ignored).
func (s *Store) AppendEvent(ctx context.Context, e Event) error {
	if e.Kind == "" {
		return fmt.Errorf("store: append event: empty kind: %w", ErrInvalid)
	}
	data, err := jsonArg("data", e.Data)
	if err != nil {
		return fmt.Errorf("store: append event %s: %w", e.Kind, err)
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qAppendEvent, toMS(at), e.Kind, e.Device, data)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: append event %s: %w", e.Kind, err)
	}
	return nil
}

// Events returns the events with ID > sinceID, oldest first, at most limit
// (<= 0 or above MaxEventsLimit means MaxEventsLimit). Page on with the last
// ID returned.
func (s *Store) Events(ctx context.Context, sinceID int64, limit int) ([]Event, error) {
	if s.closed() {
		return nil, fmt.Errorf("store: events: %w", ErrClosed)
	}
	if limit <= 0 || limit > MaxEventsLimit {
		limit = MaxEventsLimit
	}
	rows, err := s.readers.QueryContext(ctx,
		`SELECT id, ts, kind, device, data FROM events WHERE id > ? ORDER BY id LIMIT ?`, sinceID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var ts int64
		var data sql.NullString
		if err := rows.Scan(&e.ID, &ts, &e.Kind, &e.Device, &data); err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		e.At = fromMS(ts)
		e.Data = fromNullJSON(data)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return out, nil
}

// PruneEvents deletes events older than olderThan, in chunks like
// PruneHistory, and returns how many it deleted.
func (s *Store) PruneEvents(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.prune(ctx, qPruneEvents, olderThan)
	if err != nil {
		return n, fmt.Errorf("store: prune events: %w", err)
	}
	return n, nil
}

// Token is an API token as stored: a name and a hash of the secret. The
// store never sees the plaintext; hashing and comparison belong to the
// caller.
type Token struct {
	Name       string
	Hash       string
	CreatedAt  time.Time // zero: the store's clock
	LastUsedAt time.Time // zero: never used
}

// PutToken stores t, replacing a token of the same name (its LastUsedAt is
// reset: a replaced token is a new secret).
func (s *Store) PutToken(ctx context.Context, t Token) error {
	if t.Name == "" {
		return fmt.Errorf("store: put token: empty name: %w", ErrInvalid)
	}
	if t.Hash == "" {
		return fmt.Errorf("store: put token %s: empty hash: %w", t.Name, ErrInvalid)
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qPutToken, t.Name, t.Hash, toMS(created), nullMS(t.LastUsedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: put token %s: %w", t.Name, err)
	}
	return nil
}

// Tokens returns every token, ordered by name.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	if s.closed() {
		return nil, fmt.Errorf("store: tokens: %w", ErrClosed)
	}
	rows, err := s.readers.QueryContext(ctx, `SELECT name, hash, created_at, last_used_at FROM tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&t.Name, &t.Hash, &created, &used); err != nil {
			return nil, fmt.Errorf("store: tokens: %w", err)
		}
		t.CreatedAt = fromMS(created)
		t.LastUsedAt = fromNullMS(used)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	return out, nil
}

// DeleteToken removes a token; an unknown name fails with ErrNotFound.
func (s *Store) DeleteToken(ctx context.Context, name string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return affectOne(s.exec(ctx, tx, qDeleteToken, name))
	})
	if err != nil {
		return fmt.Errorf("store: delete token %s: %w", name, err)
	}
	return nil
}

// TouchToken records that a token was used at at; an unknown name fails
// with ErrNotFound.
func (s *Store) TouchToken(ctx context.Context, name string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return affectOne(s.exec(ctx, tx, qTouchToken, toMS(at), name))
	})
	if err != nil {
		return fmt.Errorf("store: touch token %s: %w", name, err)
	}
	return nil
}

// SetSetting stores value under key, replacing any previous value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	if key == "" {
		return fmt.Errorf("store: set setting: empty key: %w", ErrInvalid)
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qSetSetting, key, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", key, err)
	}
	return nil
}

// Setting returns the value stored under key, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	if s.closed() {
		return "", fmt.Errorf("store: setting %s: %w", key, ErrClosed)
	}
	var v string
	err := s.readers.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("store: setting %s: %w", key, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}
