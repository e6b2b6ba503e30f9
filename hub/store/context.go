package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

const (
	qPutDeviceContext = `
INSERT INTO device_context (ieee, room, aliases, notes, rules, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (ieee) DO UPDATE SET room = excluded.room, aliases = excluded.aliases, notes = excluded.notes,
	rules = excluded.rules, updated_at = excluded.updated_at`
	qDeleteDeviceContext = `DELETE FROM device_context WHERE ieee = ?`
)

// DeviceContext is what the household says about one device: its room,
// the other names people use for it, free-text notes and the rules for
// what assistants may do with it. The store keeps Rules verbatim (a JSON
// object whose meaning belongs to the MCP device context).
type DeviceContext struct {
	IEEE      string
	Room      string
	Aliases   []string
	Notes     string
	Rules     json.RawMessage // a JSON object; nil means {}
	UpdatedAt time.Time       // set by PutDeviceContext (the store's clock)
}

// PutDeviceContext inserts or replaces the context of a device. A device
// not in the registry fails with ErrNotFound; Rules that are not a JSON
// object fail with ErrInvalid.
func (s *Store) PutDeviceContext(ctx context.Context, c DeviceContext) error {
	id, err := normalizeIEEE(c.IEEE)
	if err != nil {
		return fmt.Errorf("store: put device context: %w", err)
	}
	aliases := c.Aliases
	if aliases == nil {
		aliases = []string{}
	}
	al, err := json.Marshal(aliases)
	if err != nil {
		return fmt.Errorf("store: put device context %s: aliases: %w", id, err)
	}
	rules := "{}"
	if len(c.Rules) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(c.Rules, &obj); err != nil || obj == nil {
			return fmt.Errorf("store: put device context %s: rules: not a JSON object: %w", id, ErrInvalid)
		}
		rules = string(c.Rules)
	}
	now := s.now()
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qPutDeviceContext, id, c.Room, string(al), c.Notes, rules, toMS(now))
		if isForeignKey(err) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: put device context %s: %w", id, err)
	}
	return nil
}

// DeviceContexts returns every stored device context, ordered by IEEE
// address.
func (s *Store) DeviceContexts(ctx context.Context) ([]DeviceContext, error) {
	if s.closed() {
		return nil, fmt.Errorf("store: device contexts: %w", ErrClosed)
	}
	rows, err := s.readers.QueryContext(ctx,
		`SELECT ieee, room, aliases, notes, rules, updated_at FROM device_context ORDER BY ieee`)
	if err != nil {
		return nil, fmt.Errorf("store: device contexts: %w", err)
	}
	defer rows.Close()
	var out []DeviceContext
	for rows.Next() {
		var c DeviceContext
		var aliases, rules string
		var at int64
		if err := rows.Scan(&c.IEEE, &c.Room, &aliases, &c.Notes, &rules, &at); err != nil {
			return nil, fmt.Errorf("store: device contexts: %w", err)
		}
		if err := json.Unmarshal([]byte(aliases), &c.Aliases); err != nil {
			return nil, fmt.Errorf("store: device contexts: %s: aliases: %w", c.IEEE, err)
		}
		c.Rules = json.RawMessage(rules)
		c.UpdatedAt = fromMS(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: device contexts: %w", err)
	}
	return out, nil
}

// DeleteDeviceContext removes the context of a device; a device without
// one fails with ErrNotFound.
func (s *Store) DeleteDeviceContext(ctx context.Context, ieee string) error {
	id, err := normalizeIEEE(ieee)
	if err != nil {
		return fmt.Errorf("store: delete device context: %w", err)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return affectOne(s.exec(ctx, tx, qDeleteDeviceContext, id))
	})
	if err != nil {
		return fmt.Errorf("store: delete device context %s: %w", id, err)
	}
	return nil
}
