package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Times are stored as INTEGER unix milliseconds; a zero time.Time is NULL.

func toMS(t time.Time) int64 { return t.UnixMilli() }

// fromMS returns the UTC time of a unix-ms column.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// normalizeIEEE returns the canonical form of an IEEE (EUI-64) address,
// "0x" followed by 16 lowercase hex digits (zigbee.IEEE.String, and the
// form zigbee2mqtt uses), which the devices table enforces. It accepts
// upper-case digits and "0X".
func normalizeIEEE(s string) (string, error) {
	if len(s) != 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return "", fmt.Errorf("ieee %q: want 0x and 16 hex digits: %w", s, ErrInvalid)
	}
	b := []byte(s)
	b[1] = 'x'
	for i := 2; i < len(b); i++ {
		switch c := b[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", fmt.Errorf("ieee %q: want 0x and 16 hex digits: %w", s, ErrInvalid)
		}
	}
	return string(b), nil
}

// jsonArg turns an optional JSON blob into a TEXT bind value: nil or empty
// is NULL, anything else must be valid JSON. (A json.RawMessage would bind
// as a BLOB, which the STRICT tables reject.)
func jsonArg(what string, m json.RawMessage) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	if !json.Valid(m) {
		return nil, fmt.Errorf("%s: not valid JSON: %w", what, ErrInvalid)
	}
	return string(m), nil
}

// fromNullJSON returns a column read by jsonArg's counterpart.
func fromNullJSON(v sql.NullString) json.RawMessage {
	if !v.Valid {
		return nil
	}
	return json.RawMessage(v.String)
}
