package store

import (
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Their text has no package prefix: every error the store
// returns starts with "store: <operation>" and wraps at most one of them.
// Match with errors.Is.
var (
	// ErrClosed: the store was closed (or is closing and the write could not
	// be queued before the writer stopped).
	ErrClosed = errors.New("store closed")
	// ErrNotFound: the device, token or setting does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicateName: another device already has this friendly name.
	ErrDuplicateName = errors.New("duplicate friendly name")
	// ErrInvalid: an argument was rejected before touching the database
	// (malformed IEEE address, empty name, invalid JSON, unsupported value).
	ErrInvalid = errors.New("invalid argument")
	// ErrCorrupt: the database file failed its integrity check. The error
	// is a *CorruptError carrying the path and SQLite's findings.
	ErrCorrupt = errors.New("database corrupt")
	// ErrSchemaTooNew: the file was written by a newer zhub; this binary
	// refuses to downgrade it. The error is a *VersionError.
	ErrSchemaTooNew = errors.New("database schema newer than this binary")
	// ErrBatchAborted: SQLite rolled back a whole batch transaction (disk
	// full, I/O error, an op that interrupted its own statement); every op of
	// that batch failed and none of them is committed.
	ErrBatchAborted = errors.New("batch transaction aborted")
)

// CorruptError reports a database file that SQLite cannot use. It matches
// ErrCorrupt with errors.Is.
type CorruptError struct {
	Path   string // the database file
	Detail string // the first findings of PRAGMA quick_check, or SQLite's message
	Err    error  // the underlying SQLite error, if any
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store: database file %s is corrupt (%s): stop zhub, move %s and its -wal/-shm files "+
		"aside (keep them: `sqlite3 %s .recover` may salvage data), then restore a backup or start again with an empty database",
		e.Path, e.Detail, e.Path, e.Path)
}

// Unwrap returns the SQLite error (if any) and ErrCorrupt.
func (e *CorruptError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrCorrupt}
	}
	return []error{ErrCorrupt, e.Err}
}

// VersionError reports a schema version this binary does not know. It
// matches ErrSchemaTooNew with errors.Is.
type VersionError struct {
	Path   string
	File   int // PRAGMA user_version found in the file
	Binary int // the newest version this binary can migrate to
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("store: database %s has schema version %d but this zhub knows only up to %d: "+
		"upgrade zhub (downgrading the database is not supported)", e.Path, e.File, e.Binary)
}

// Unwrap returns ErrSchemaTooNew.
func (e *VersionError) Unwrap() error { return ErrSchemaTooNew }

// sqliteCode returns the extended SQLite result code carried by err, or 0.
func sqliteCode(err error) int {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code()
	}
	return 0
}

// isCorruptCode reports whether err is SQLite saying the file is not a
// usable database.
func isCorruptCode(err error) bool {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// isUniqueName reports whether err is the UNIQUE constraint on
// devices.friendly_name.
func isUniqueName(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(err.Error(), "devices.friendly_name")
}

// isForeignKey reports whether err is a FOREIGN KEY constraint failure
// (a row referring to a device that does not exist).
func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
