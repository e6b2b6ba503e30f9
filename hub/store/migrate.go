package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// migration is one schema step. Its version is its index in migrations + 1.
type migration struct {
	name string
	sql  string // one or more statements, run in the step's transaction
}

// migrations is the schema history. Append only: never edit or reorder a
// step that has shipped, because files in the field record how far they got
// in PRAGMA user_version. Every step needs a seed in migrate_test.go (a row
// valid at that version) so the upgrade from it is tested.
//
// A step that must rebuild a table (SQLite's ALTER TABLE cannot drop a
// constraint or change a type) follows https://sqlite.org/lang_altertable.html
// section 7; foreign_keys cannot be switched off inside the step's
// transaction, so copy into the new table, drop the old one and rename,
// keeping every reference valid: PRAGMA foreign_key_check runs before each
// step commits.
var migrations = []migration{
	{name: "initial schema", sql: `
CREATE TABLE devices (
	ieee          TEXT PRIMARY KEY NOT NULL
	              CHECK (length(ieee) = 18 AND substr(ieee, 1, 2) = '0x' AND substr(ieee, 3) NOT GLOB '*[^0-9a-f]*'),
	nwk           INTEGER NOT NULL DEFAULT 0 CHECK (nwk BETWEEN 0 AND 65535),
	friendly_name TEXT NOT NULL UNIQUE CHECK (friendly_name <> ''),
	model         TEXT NOT NULL DEFAULT '',
	vendor        TEXT NOT NULL DEFAULT '',
	data          TEXT CHECK (data IS NULL OR json_valid(data)),
	created_at    INTEGER NOT NULL, -- unix ms, as every *_at and ts column
	updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE device_state (
	ieee       TEXT PRIMARY KEY NOT NULL REFERENCES devices (ieee) ON DELETE CASCADE,
	state      TEXT NOT NULL CHECK (json_valid(state)),
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE history (
	id       INTEGER PRIMARY KEY,
	ieee     TEXT NOT NULL REFERENCES devices (ieee) ON DELETE CASCADE,
	property TEXT NOT NULL,
	ts       INTEGER NOT NULL,
	value    ANY NOT NULL CHECK (typeof(value) IN ('real', 'text'))
) STRICT;
-- Serves History queries and the ON DELETE CASCADE lookup.
CREATE INDEX history_ieee_property_ts ON history (ieee, property, ts);

-- AUTOINCREMENT: ids are never reused, even after a prune empties the
-- table, so an Events(sinceID) cursor stays valid.
CREATE TABLE events (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	ts     INTEGER NOT NULL,
	kind   TEXT NOT NULL CHECK (kind <> ''),
	device TEXT NOT NULL DEFAULT '',
	data   TEXT CHECK (data IS NULL OR json_valid(data))
) STRICT;

CREATE TABLE tokens (
	name         TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
	hash         TEXT NOT NULL CHECK (hash <> ''),
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER
) STRICT;

CREATE TABLE settings (
	key   TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
	value TEXT NOT NULL
) STRICT;
`},
	{name: "time indexes for retention prunes", sql: `
CREATE INDEX history_ts ON history (ts);
CREATE INDEX events_ts ON events (ts);
`},
	{name: "device context (rooms, aliases, notes, assistant rules)", sql: `
-- The household's words for a device, which the MCP device context feeds
-- to assistants. Keyed by IEEE address so a rename keeps it; deleting the
-- device deletes its context.
CREATE TABLE device_context (
	ieee       TEXT PRIMARY KEY NOT NULL REFERENCES devices (ieee) ON DELETE CASCADE,
	room       TEXT NOT NULL DEFAULT '',
	aliases    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(aliases) AND json_type(aliases) = 'array'),
	notes      TEXT NOT NULL DEFAULT '',
	rules      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(rules) AND json_type(rules) = 'object'),
	updated_at INTEGER NOT NULL
) STRICT;
`},
	{name: "chat conversations", sql: `
-- The built-in chat's memory: one row per chat session, its messages as
-- a JSON array (already trimmed to a budget by the caller).
CREATE TABLE conversations (
	session    TEXT PRIMARY KEY NOT NULL CHECK (session <> ''),
	messages   TEXT NOT NULL CHECK (json_valid(messages) AND json_type(messages) = 'array'),
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_updated_at ON conversations (updated_at);
`},
	{name: "zigbee groups", sql: `
-- Zigbee groups (one groupcast reaches every member) and their members,
-- device endpoints. "groups" is an SQL keyword, hence the prefix. Deleting
-- a group deletes its memberships; deleting a device deletes its
-- memberships.
CREATE TABLE zigbee_groups (
	id         INTEGER PRIMARY KEY NOT NULL CHECK (id BETWEEN 1 AND 65527), -- 0xFFF7, ZCL application groups
	name       TEXT NOT NULL UNIQUE CHECK (name <> ''),
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE zigbee_group_members (
	group_id INTEGER NOT NULL REFERENCES zigbee_groups (id) ON DELETE CASCADE,
	ieee     TEXT NOT NULL REFERENCES devices (ieee) ON DELETE CASCADE,
	endpoint INTEGER NOT NULL CHECK (endpoint BETWEEN 1 AND 240),
	PRIMARY KEY (group_id, ieee, endpoint)
) STRICT;
-- Serves the ON DELETE CASCADE lookup from devices.
CREATE INDEX zigbee_group_members_ieee ON zigbee_group_members (ieee);
`},
}

// migrate brings db to len(steps), one transaction per step, and returns
// the resulting version. Before upgrading a file that already holds a
// schema it saves a copy as <path>.v<old>.bak, the way back if the new
// binary must be rolled back (an older binary refuses the newer file).
func migrate(ctx context.Context, db *sql.DB, steps []migration, path string, log *slog.Logger) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if v > len(steps) || v < 0 {
		return 0, &VersionError{Path: path, File: v, Binary: len(steps)}
	}
	if v == len(steps) {
		return v, nil
	}
	if v > 0 && path != "" {
		if err := backup(ctx, db, path+".v"+strconv.Itoa(v)+".bak"); err != nil {
			return v, err
		}
	}
	for i := v; i < len(steps); i++ {
		start := time.Now()
		if err := applyStep(ctx, db, i+1, steps[i]); err != nil {
			return i, err
		}
		log.Info("migration applied", "event", "migration_applied", "version", i+1, "name", steps[i].name,
			"elapsed_ms", time.Since(start).Milliseconds())
	}
	return len(steps), nil
}

func applyStep(ctx context.Context, db *sql.DB, version int, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate to v%d (%s): %w", version, m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("store: migrate to v%d (%s): %w", version, m.name, err)
	}
	// PRAGMA takes no bound parameters; version is an int we produced.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(version)); err != nil {
		return fmt.Errorf("store: migrate to v%d: set user_version: %w", version, err)
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return fmt.Errorf("store: migrate to v%d (%s): %w", version, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate to v%d (%s): commit: %w", version, m.name, err)
	}
	return nil
}

// foreignKeyCheck fails if any row refers to a missing parent.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() && len(bad) < 5 {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		bad = append(bad, fmt.Sprintf("%s row %d -> %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("foreign key check: %s", strings.Join(bad, ", "))
	}
	return nil
}

// backup writes a compacted copy of the database to dst, replacing an older
// copy of the same version.
func backup(ctx context.Context, db *sql.DB, dst string) error {
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: pre-migration backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("store: pre-migration backup to %s: %w", dst, err)
	}
	if err := os.Chmod(dst, 0o600); err != nil {
		return fmt.Errorf("store: pre-migration backup: %w", err)
	}
	return nil
}
