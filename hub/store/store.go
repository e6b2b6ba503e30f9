package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Durability selects what an acknowledged write survives. The zero value is
// the strongest.
type Durability int

const (
	// DurablePowerLoss (the default) runs SQLite with synchronous=FULL: the
	// WAL is fsynced at every batch commit, so an acknowledged write survives
	// a process kill, a kernel panic and a power cut (as far as the storage
	// honours flushes).
	DurablePowerLoss Durability = iota
	// DurableProcessCrash runs SQLite with synchronous=NORMAL: no fsync per
	// commit. An acknowledged write survives the process being killed
	// (SIGKILL, OOM, panic) because it is already in the kernel's page cache,
	// but a power cut may roll back the last commits (never corrupt the file).
	// It spares SD cards one flush per batch.
	DurableProcessCrash
)

func (d Durability) String() string {
	switch d {
	case DurablePowerLoss:
		return "power_loss"
	case DurableProcessCrash:
		return "process_crash"
	}
	return "Durability(" + strconv.Itoa(int(d)) + ")"
}

// Defaults for zero Config fields.
const (
	DefaultMaxBatch    = 256
	DefaultMaxReaders  = 4
	DefaultBusyTimeout = 5 * time.Second
)

// Config configures Open. Only Path is required.
type Config struct {
	// Path of the database file, e.g. <data_dir>/zhub.db. Its directory is
	// created (0750) if missing; the file is created 0600.
	Path string
	// Logger receives lifecycle records; nil discards them. The caller adds
	// the "module" attribute.
	Logger *slog.Logger
	// MaxBatch is the most write operations committed in one transaction
	// (default DefaultMaxBatch).
	MaxBatch int
	// MaxReaders bounds the reader connection pool (default DefaultMaxReaders).
	MaxReaders int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing with SQLITE_BUSY (default DefaultBusyTimeout).
	BusyTimeout time.Duration
	// Durability chooses what an acknowledged write survives (default
	// DurablePowerLoss). See doc.go.
	Durability Durability
	// Now stamps created_at/updated_at columns the store fills itself
	// (default time.Now).
	Now func() time.Time
}

// Store is the SQLite persistence of the daemon. All methods are safe for
// concurrent use. Writes go through one writer goroutine (see doc.go); reads
// use a separate connection pool.
type Store struct {
	path    string
	log     *slog.Logger
	now     func() time.Time
	version int

	writer  *sql.DB // MaxOpenConns 1, used only by Open (migrations) and the writer goroutine
	readers *sql.DB // query_only connections

	maxBatch   int
	queue      chan *op
	stopping   chan struct{} // closed by Close: stop accepting writes, drain
	writerDone chan struct{} // closed by the writer goroutine on exit

	// writeCtx is the context of every statement the writer runs. Close
	// cancels it only when its own deadline expires, to abort the drain.
	writeCtx    context.Context
	abortWriter context.CancelFunc

	stopOnce  sync.Once
	closeOnce sync.Once
	closeErr  error

	// stmts are the writer connection's prepared writes (writeQueries);
	// read-only after Open, closed by Close after the writer has stopped.
	stmts map[string]*sql.Stmt

	batches atomic.Int64
	ops     atomic.Int64
	errs    atomic.Int64
}

// Stats are cumulative counters of the writer, for /health and /metrics.
type Stats struct {
	Batches       int64 // transactions committed
	Ops           int64 // write operations acknowledged with success
	Errors        int64 // write operations acknowledged with an error
	Queued        int   // write operations waiting for the writer now
	SchemaVersion int   // PRAGMA user_version after migrations
}

// Stats returns the writer's counters.
func (s *Store) Stats() Stats {
	return Stats{
		Batches:       s.batches.Load(),
		Ops:           s.ops.Load(),
		Errors:        s.errs.Load(),
		Queued:        len(s.queue),
		SchemaVersion: s.version,
	}
}

// Open opens (creating if needed) the database at cfg.Path, checks its
// integrity, migrates it to the newest schema and starts the writer. ctx
// bounds the opening work only; Close stops the store.
//
// Errors: a directory that cannot be created or written (wraps the
// *fs.PathError), *CorruptError (ErrCorrupt), *VersionError
// (ErrSchemaTooNew), or a failed migration (the file stays at the last good
// version).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	start := time.Now()
	if cfg.Path == "" {
		return nil, fmt.Errorf("store: open: empty path: %w", ErrInvalid)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxReaders <= 0 {
		cfg.MaxReaders = DefaultMaxReaders
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = DefaultBusyTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var syncMode string
	switch cfg.Durability {
	case DurablePowerLoss:
		syncMode = "FULL"
	case DurableProcessCrash:
		syncMode = "NORMAL"
	default:
		return nil, fmt.Errorf("store: open: unknown durability %v: %w", cfg.Durability, ErrInvalid)
	}

	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", cfg.Path, err)
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}

	s := &Store{
		path:       path,
		log:        cfg.Logger,
		now:        cfg.Now,
		maxBatch:   cfg.MaxBatch,
		queue:      make(chan *op, cfg.MaxBatch),
		stopping:   make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	busy := strconv.FormatInt(cfg.BusyTimeout.Milliseconds(), 10)
	s.writer, err = sql.Open("sqlite", dsn(path, []string{
		"busy_timeout(" + busy + ")",
		"foreign_keys(1)",
		"journal_mode(WAL)",
		"synchronous(" + syncMode + ")",
		// After a checkpoint, truncate a WAL that grew past 64 MiB (a long
		// read can hold a checkpoint back) instead of keeping it forever.
		"journal_size_limit(67108864)",
	}, "&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)

	if err := s.setup(ctx); err != nil {
		s.writer.Close()
		return nil, err
	}
	if err := s.prepareWrites(ctx); err != nil {
		s.writer.Close()
		return nil, err
	}

	s.readers, err = sql.Open("sqlite", dsn(path, []string{
		"busy_timeout(" + busy + ")",
		"query_only(1)", // the reader pool must never write behind the writer's back
	}, ""))
	if err == nil {
		err = s.readers.PingContext(ctx)
	}
	if err != nil {
		s.closeStmts()
		s.writer.Close()
		if s.readers != nil {
			s.readers.Close()
		}
		return nil, fmt.Errorf("store: open readers %s: %w", path, err)
	}
	s.readers.SetMaxOpenConns(cfg.MaxReaders)
	s.readers.SetMaxIdleConns(cfg.MaxReaders)

	s.writeCtx, s.abortWriter = context.WithCancel(context.Background())
	go s.run()

	s.log.Info("store opened", "event", "store_open", "path", path, "schema_version", s.version,
		"durability", cfg.Durability.String(), "max_batch", cfg.MaxBatch,
		"elapsed_ms", time.Since(start).Milliseconds())
	return s, nil
}

// setup opens the writer connection, checks the file and migrates it.
func (s *Store) setup(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		if isCorruptCode(err) {
			return &CorruptError{Path: s.path, Detail: err.Error(), Err: err}
		}
		return fmt.Errorf("store: open %s: %w", s.path, err)
	}
	var mode string
	if err := s.writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return s.classify("read journal mode", err)
	}
	if !strings.EqualFold(mode, "wal") {
		// WAL needs shared memory (mmap of the -shm file); some network
		// filesystems refuse it and SQLite silently keeps the old mode.
		return fmt.Errorf("store: open %s: WAL journal mode unavailable on this filesystem (journal_mode=%s)", s.path, mode)
	}
	start := time.Now()
	if err := quickCheck(ctx, s.writer, s.path); err != nil {
		return err
	}
	s.log.Debug("quick check passed", "event", "quick_check", "elapsed_ms", time.Since(start).Milliseconds())
	v, err := migrate(ctx, s.writer, migrations, s.path, s.log)
	if err != nil {
		return err
	}
	s.version = v
	return nil
}

// classify wraps a database error from Open, recognising corruption.
func (s *Store) classify(op string, err error) error {
	if isCorruptCode(err) {
		return &CorruptError{Path: s.path, Detail: err.Error(), Err: err}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// quickCheck runs PRAGMA quick_check (O(file size), skips the index/table
// cross-check of integrity_check) and turns any finding into a *CorruptError.
func quickCheck(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(8)")
	if err != nil {
		if isCorruptCode(err) {
			return &CorruptError{Path: path, Detail: err.Error(), Err: err}
		}
		return fmt.Errorf("store: quick check: %w", err)
	}
	defer rows.Close()
	var findings []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("store: quick check: %w", err)
		}
		findings = append(findings, line)
	}
	if err := rows.Err(); err != nil {
		if isCorruptCode(err) {
			return &CorruptError{Path: path, Detail: err.Error(), Err: err}
		}
		return fmt.Errorf("store: quick check: %w", err)
	}
	if len(findings) == 1 && findings[0] == "ok" {
		return nil
	}
	detail := strings.Join(strings.Fields(strings.Join(findings, " ")), " ")
	if len(detail) > 300 {
		detail = detail[:300] + "..."
	}
	return &CorruptError{Path: path, Detail: "quick_check: " + detail}
}

// prepareFile makes sure the directory exists and that both it (SQLite
// creates -wal and -shm next to the file) and the file are writable, so a
// permission problem is reported plainly rather than as SQLITE_CANTOPEN or
// a read-only database later.
func prepareFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("store: create data directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".zhub-write-probe-*")
	if err != nil {
		return fmt.Errorf("store: data directory %s is not writable: %w", dir, err)
	}
	name := probe.Name()
	probe.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("store: data directory %s: remove write probe: %w", dir, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: database file is not writable: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: database file %s: %w", path, err)
	}
	return nil
}

// dsn builds a modernc.org/sqlite data source name. The file: URI form keeps
// any character of the path (?, #, %) intact.
func dsn(path string, pragmas []string, extra string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode() + extra}
	return u.String()
}

// Close stops accepting writes, lets the writer commit everything already
// queued, waits for it and closes the connections. If ctx ends first, the
// batch in progress is interrupted, the ops still queued fail with
// ErrClosed, and Close returns ctx's error once the writer has stopped.
// Close is idempotent; later writes fail with ErrClosed.
func (s *Store) Close(ctx context.Context) error {
	start := time.Now()
	s.stopOnce.Do(func() { close(s.stopping) })
	var drainErr error
	select {
	case <-s.writerDone:
	case <-ctx.Done():
		s.abortWriter()
		<-s.writerDone
		drainErr = fmt.Errorf("store: close: drain writes: %w", ctx.Err())
	}
	s.closeOnce.Do(func() {
		s.abortWriter()
		// Readers first: the last connection to close checkpoints the WAL
		// into the main file and removes it.
		s.closeStmts()
		rerr := s.readers.Close()
		werr := s.writer.Close()
		if err := errors.Join(rerr, werr); err != nil {
			s.closeErr = fmt.Errorf("store: close: %w", err)
		}
		s.log.Info("store closed", "event", "store_close", "batches", s.batches.Load(),
			"ops", s.ops.Load(), "errors", s.errs.Load(), "elapsed_ms", time.Since(start).Milliseconds())
	})
	if drainErr != nil {
		return drainErr
	}
	return s.closeErr
}

// closed reports whether Close has been called.
func (s *Store) closed() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}
