package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"time"
)

// op is one queued write. fn runs inside the batch transaction, between a
// SAVEPOINT and its RELEASE; done receives exactly one value.
type op struct {
	ctx  context.Context // the caller's; an op whose caller gave up is skipped
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error // buffered 1: the writer never blocks on an ack
}

// Exec queues fn as one write operation and returns once the batch holding
// it has committed (nil), or fn's error (wrapped) once fn's changes are
// rolled back.
// fn runs on the writer goroutine inside a transaction shared with other
// ops, wrapped in a SAVEPOINT: if fn returns an error only its changes are
// undone and the rest of the batch still commits.
//
// Rules for fn: use only tx, run statements with tx.Exec/Query or with the
// ctx passed to it (never a caller's context: cancelling a statement
// interrupts the whole shared transaction), don't block, don't call back
// into the Store (the writer would wait for itself), and don't commit or
// roll back tx.
//
// If ctx ends while the op waits, Exec returns ctx.Err(). An op still queued
// is then skipped, but one already running may commit anyway: cancellation
// means "stop waiting", not "undo".
func (s *Store) Exec(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.write(ctx, func(_ context.Context, tx *sql.Tx) error { return fn(tx) }); err != nil {
		return fmt.Errorf("store: exec: %w", err)
	}
	return nil
}

// write queues fn and waits for its acknowledgement. It returns fn's error
// unwrapped, ErrClosed, ctx.Err() or a batch-level error.
func (s *Store) write(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	if s.closed() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.queue <- o:
	case <-s.stopping:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.writerDone:
		// The writer acks every op it takes before it exits; an op left
		// in the queue (sent while Close was draining) never ran.
		select {
		case err := <-o.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// run is the writer goroutine. It owns the writer pool's only connection
// after Open and exits when Close has been called and the queue is empty
// (or the drain was aborted).
func (s *Store) run() {
	defer close(s.writerDone)
	batch := make([]*op, 0, s.maxBatch)
	for {
		select {
		case o := <-s.queue:
			batch = s.collect(append(batch[:0], o))
			s.commit(batch)
		case <-s.stopping:
			for {
				batch = s.collect(batch[:0])
				if len(batch) == 0 {
					return
				}
				s.commit(batch)
			}
		}
	}
}

// collect appends queued ops to batch without blocking, up to maxBatch.
func (s *Store) collect(batch []*op) []*op {
	for len(batch) < s.maxBatch {
		select {
		case o := <-s.queue:
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

// commit runs batch in one transaction and acknowledges every op.
func (s *Store) commit(batch []*op) {
	ctx := s.writeCtx
	if ctx.Err() != nil { // Close gave up waiting: don't start new work
		s.ackAll(batch, ErrClosed)
		return
	}
	live := batch[:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			s.ack(o, err)
			continue
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	start := time.Now()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		s.failBatch(live, fmt.Errorf("begin: %w", err), start)
		return
	}
	results := make([]error, len(live))
	for i, o := range live {
		opErr, txErr := s.runOp(ctx, tx, o)
		if txErr != nil {
			tx.Rollback()
			s.failBatch(live, txErr, start)
			return
		}
		results[i] = opErr
	}
	if err := tx.Commit(); err != nil {
		s.failBatch(live, fmt.Errorf("commit: %w", err), start)
		return
	}
	s.batches.Add(1)
	for i, o := range live {
		s.ack(o, results[i])
	}
}

// runOp runs one op between SAVEPOINT and RELEASE. opErr is the op's own
// failure (its changes are rolled back); txErr means the transaction itself
// is gone or unusable and the whole batch must fail.
func (s *Store) runOp(ctx context.Context, tx *sql.Tx, o *op) (opErr, txErr error) {
	if _, err := s.exec(ctx, tx, qSavepoint); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	opErr = s.callOp(ctx, tx, o)
	if opErr != nil {
		// Some errors (SQLITE_FULL, IOERR, INTERRUPT) make SQLite roll back
		// the whole transaction; then the savepoint is gone and this fails.
		if _, err := s.exec(ctx, tx, qRollbackTo); err != nil {
			return nil, fmt.Errorf("op failed (%w) and rollback to savepoint failed: %w", opErr, err)
		}
	}
	if _, err := s.exec(ctx, tx, qRelease); err != nil {
		return nil, fmt.Errorf("release savepoint: %w", err)
	}
	return opErr, nil
}

// callOp runs o.fn, turning a panic into an error so that one faulty op
// cannot take the writer (and every other caller) down with it.
func (s *Store) callOp(ctx context.Context, tx *sql.Tx, o *op) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("write op panicked", "event", "write_op_panic", "panic", fmt.Sprint(r),
				"stack", string(debug.Stack()))
			err = fmt.Errorf("write op panicked: %v", r)
		}
	}()
	return o.fn(ctx, tx)
}

func (s *Store) failBatch(batch []*op, err error, start time.Time) {
	if s.writeCtx.Err() != nil {
		err = fmt.Errorf("%w: interrupted by close: %w", ErrClosed, err)
	} else {
		s.log.Warn("write batch failed", "event", "batch_failed", "ops", len(batch), "err", err,
			"elapsed_ms", time.Since(start).Milliseconds())
		err = fmt.Errorf("%w: %w", ErrBatchAborted, err)
	}
	s.ackAll(batch, err)
}

func (s *Store) ackAll(batch []*op, err error) {
	for _, o := range batch {
		s.ack(o, err)
	}
}

func (s *Store) ack(o *op, err error) {
	if err == nil {
		s.ops.Add(1)
	} else {
		s.errs.Add(1)
	}
	o.done <- err
}

const (
	qSavepoint  = `SAVEPOINT op`
	qRollbackTo = `ROLLBACK TO op`
	qRelease    = `RELEASE op`
)

// writeQueries are prepared once on the writer connection at Open, so the
// hot path skips SQLite's parser. (A statement cannot be prepared lazily on
// the pool while a batch transaction holds its only connection.)
var writeQueries = []string{
	qSavepoint, qRollbackTo, qRelease,
	qPutDevice, qDeleteDevice, qPutState, qAppendHistory, qPruneHistory,
	qAppendEvent, qPruneEvents, qPutToken, qDeleteToken, qTouchToken, qSetSetting,
}

// prepareWrites fills s.stmts; it runs in Open before the writer starts.
func (s *Store) prepareWrites(ctx context.Context) error {
	s.stmts = make(map[string]*sql.Stmt, len(writeQueries))
	for _, q := range writeQueries {
		st, err := s.writer.PrepareContext(ctx, q)
		if err != nil {
			s.closeStmts()
			return fmt.Errorf("store: prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

func (s *Store) closeStmts() {
	for _, st := range s.stmts {
		st.Close()
	}
}

// stmt returns query bound to tx, from the prepared set when it is there.
// Only ops on the writer goroutine call it.
// The returned statement is closed with tx.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts[query]; ok {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, query)
}

// exec runs query in tx, through the prepared set when it is there.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st, ok := s.stmts[query]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}
