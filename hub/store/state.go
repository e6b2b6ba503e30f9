package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

const (
	qPutState = `
INSERT INTO device_state (ieee, state, updated_at) VALUES (?, ?, ?)
ON CONFLICT (ieee) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
	qAppendHistory = `INSERT INTO history (ieee, property, ts, value) VALUES (?, ?, ?, ?)`
	qPruneHistory  = `DELETE FROM history WHERE id IN (SELECT id FROM history WHERE ts < ? LIMIT ?)`
)

// StateRecord is the last known state of one device.
type StateRecord struct {
	State     json.RawMessage // the device's state document (zigbee2mqtt payload shape)
	UpdatedAt time.Time
}

// PutState replaces the stored state of a device. state must be valid JSON;
// a device not in the registry fails with ErrNotFound. The last PutState
// queued wins, whatever its at (a clock stepping back must not freeze the
// state).
func (s *Store) PutState(ctx context.Context, ieee string, state json.RawMessage, at time.Time) error {
	id, err := normalizeIEEE(ieee)
	if err != nil {
		return fmt.Errorf("store: put state: %w", err)
	}
	v, err := jsonArg("state", state)
	if err != nil {
		return fmt.Errorf("store: put state %s: %w", id, err)
	}
	if v == nil {
		return fmt.Errorf("store: put state %s: empty state: %w", id, ErrInvalid)
	}
	if at.IsZero() {
		at = s.now()
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qPutState, id, v, toMS(at))
		if isForeignKey(err) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: put state %s: %w", id, err)
	}
	return nil
}

// DeviceState is one device's state for PutStates.
type DeviceState struct {
	IEEE  string
	State json.RawMessage // valid JSON, not empty
	At    time.Time       // zero: now
}

// PutStates replaces the stored state of several devices in one write
// operation, as PutState does for each: a flush of many device states is
// one queued op (one savepoint, one prepared statement) instead of one op
// per device, which cost a third of the daemon's CPU with 500 reporting
// devices. An invalid entry (malformed address, empty or invalid JSON)
// fails the call before anything is written. A device not in the registry
// is skipped: the others are written, and the returned error wraps
// ErrNotFound and names the devices skipped.
func (s *Store) PutStates(ctx context.Context, states ...DeviceState) error {
	if len(states) == 0 {
		return nil
	}
	type row struct {
		ieee  string
		state any
		at    int64
	}
	rows := make([]row, len(states))
	for i, st := range states {
		id, err := normalizeIEEE(st.IEEE)
		if err != nil {
			return fmt.Errorf("store: put states: %w", err)
		}
		v, err := jsonArg("state", st.State)
		if err != nil {
			return fmt.Errorf("store: put states %s: %w", id, err)
		}
		if v == nil {
			return fmt.Errorf("store: put states %s: empty state: %w", id, ErrInvalid)
		}
		at := st.At
		if at.IsZero() {
			at = s.now()
		}
		rows[i] = row{id, v, toMS(at)}
	}
	var missing []string
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		missing = missing[:0]
		stmt, err := s.stmt(ctx, tx, qPutState)
		if err != nil {
			return err
		}
		for _, r := range rows {
			// A foreign key failure aborts only its own statement (SQLite
			// undoes one statement, not the transaction): the rest go on.
			if _, err := stmt.ExecContext(ctx, r.ieee, r.state, r.at); err != nil {
				if !isForeignKey(err) {
					return err
				}
				missing = append(missing, r.ieee)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put states: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("store: put states: devices %s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	return nil
}

// States returns the stored state of every device that has one, keyed by
// IEEE address.
func (s *Store) States(ctx context.Context) (map[string]StateRecord, error) {
	if s.closed() {
		return nil, fmt.Errorf("store: states: %w", ErrClosed)
	}
	rows, err := s.readers.QueryContext(ctx, `SELECT ieee, state, updated_at FROM device_state`)
	if err != nil {
		return nil, fmt.Errorf("store: states: %w", err)
	}
	defer rows.Close()
	out := make(map[string]StateRecord)
	for rows.Next() {
		var ieee, state string
		var at int64
		if err := rows.Scan(&ieee, &state, &at); err != nil {
			return nil, fmt.Errorf("store: states: %w", err)
		}
		out[ieee] = StateRecord{State: json.RawMessage(state), UpdatedAt: fromMS(at)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: states: %w", err)
	}
	return out, nil
}

// MaxHistoryLimit caps the points one History call returns.
const MaxHistoryLimit = 10000

// pruneChunk is the most rows one prune op deletes, so a large prune is a
// series of short write ops that other writes interleave with.
const pruneChunk = 5000

// HistoryPoint is one recorded value of a device property.
type HistoryPoint struct {
	IEEE     string
	Property string // e.g. "temperature", "state"
	At       time.Time
	// Value is float64 or string when read back. AppendHistory also
	// accepts bool (stored as 1 or 0) and Go integer types (stored as
	// float64); NaN and infinities are rejected.
	Value any
}

// historyValue converts an accepted Value into its bind value.
func historyValue(v any) (any, error) {
	var f float64
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		f = v
	case float32:
		f = float64(v)
	case bool:
		if v {
			return 1.0, nil
		}
		return 0.0, nil
	case int:
		f = float64(v)
	case int8:
		f = float64(v)
	case int16:
		f = float64(v)
	case int32:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint:
		f = float64(v)
	case uint8:
		f = float64(v)
	case uint16:
		f = float64(v)
	case uint32:
		f = float64(v)
	case uint64:
		f = float64(v)
	default:
		return nil, fmt.Errorf("history value of type %T: %w", v, ErrInvalid)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("history value %v: %w", f, ErrInvalid)
	}
	return f, nil
}

// AppendHistory records points atomically: all of them or, on error, none.
// A point for a device not in the registry fails the call with ErrNotFound.
func (s *Store) AppendHistory(ctx context.Context, points ...HistoryPoint) error {
	if len(points) == 0 {
		return nil
	}
	type row struct {
		ieee, prop string
		ts         int64
		value      any
	}
	rows := make([]row, len(points))
	for i, p := range points {
		id, err := normalizeIEEE(p.IEEE)
		if err != nil {
			return fmt.Errorf("store: append history: point %d: %w", i, err)
		}
		if p.Property == "" {
			return fmt.Errorf("store: append history: point %d: empty property: %w", i, ErrInvalid)
		}
		v, err := historyValue(p.Value)
		if err != nil {
			return fmt.Errorf("store: append history: point %d: %w", i, err)
		}
		at := p.At
		if at.IsZero() {
			at = s.now()
		}
		rows[i] = row{id, p.Property, toMS(at), v}
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stmt, err := s.stmt(ctx, tx, qAppendHistory)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, r.ieee, r.prop, r.ts, r.value); err != nil {
				if isForeignKey(err) {
					return fmt.Errorf("device %s: %w", r.ieee, ErrNotFound)
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: append history: %w", err)
	}
	return nil
}

// History returns the points of one device in [from, to), oldest first. An
// empty property means every property; a zero from or to leaves that end
// open. limit <= 0 or above MaxHistoryLimit means MaxHistoryLimit: a caller
// that gets exactly limit points pages on from the last point's At.
func (s *Store) History(ctx context.Context, ieee, property string, from, to time.Time, limit int) ([]HistoryPoint, error) {
	id, err := normalizeIEEE(ieee)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	if s.closed() {
		return nil, fmt.Errorf("store: history %s: %w", id, ErrClosed)
	}
	if limit <= 0 || limit > MaxHistoryLimit {
		limit = MaxHistoryLimit
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = toMS(from)
	}
	if !to.IsZero() {
		hi = toMS(to)
	}
	// Two statements rather than "(? = '' OR property = ?)", which would
	// keep SQLite from using the (ieee, property, ts) index for the range.
	var rows *sql.Rows
	if property == "" {
		rows, err = s.readers.QueryContext(ctx, `
SELECT property, ts, value FROM history
WHERE ieee = ? AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?`, id, lo, hi, limit)
	} else {
		rows, err = s.readers.QueryContext(ctx, `
SELECT property, ts, value FROM history
WHERE ieee = ? AND property = ? AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?`, id, property, lo, hi, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("store: history %s: %w", id, err)
	}
	defer rows.Close()
	var out []HistoryPoint
	for rows.Next() {
		p := HistoryPoint{IEEE: id}
		var ts int64
		if err := rows.Scan(&p.Property, &ts, &p.Value); err != nil {
			return nil, fmt.Errorf("store: history %s: %w", id, err)
		}
		p.At = fromMS(ts)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: history %s: %w", id, err)
	}
	return out, nil
}

// PruneHistory deletes every point older than olderThan and returns how
// many it deleted. It works in chunks of separate write ops, so a large
// prune does not hold up other writes; if it fails part-way, the chunks
// already done stay deleted.
func (s *Store) PruneHistory(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.prune(ctx, qPruneHistory, olderThan)
	if err != nil {
		return n, fmt.Errorf("store: prune history: %w", err)
	}
	return n, nil
}

func (s *Store) prune(ctx context.Context, query string, olderThan time.Time) (int64, error) {
	cutoff := toMS(olderThan)
	var total int64
	for {
		var n int64
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := s.exec(ctx, tx, query, cutoff, pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}
