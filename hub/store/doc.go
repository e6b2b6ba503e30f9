// Package store is the daemon's SQLite persistence (modernc.org/sqlite, pure
// Go): the device registry, last device state, history, Zigbee groups and
// their members, the event log, API tokens, settings and the device
// context (rooms, aliases, notes and assistant rules, which the mcp package
// interprets) and the chat's conversations (JSON message arrays per
// session, trimmed by the caller).
// Only cmd/zhub picks it; hub declares the interfaces it
// needs and this package satisfies them.
//
// # Files
//
// One database file (Config.Path, normally <data_dir>/zhub.db, mode 0600) in
// WAL mode, with its -wal and -shm files beside it. Open creates the
// directory (0750), checks that it and the file are writable, and runs
// PRAGMA quick_check; a file SQLite cannot read or whose check fails yields a
// *CorruptError (ErrCorrupt) that tells the operator what to do. Nothing is
// repaired or deleted automatically.
//
// # Concurrency model
//
// Writes: one writer goroutine owns the single connection of the writer
// pool (MaxOpenConns 1; BEGIN IMMEDIATE). Every write method queues an op on
// a channel and waits. The writer takes the first op, drains up to
// Config.MaxBatch-1 more without waiting, runs them all in ONE transaction —
// each op between SAVEPOINT and RELEASE, so an op that fails is rolled back
// alone and the others still commit — commits, and only then acknowledges
// each op with its own result. A write method therefore returns nil only
// once its data is committed. Under load, ops queue while a commit is in
// progress and the next batch is larger: one commit (and one fsync) serves
// many writes. If SQLite rolls back the transaction itself (disk full, I/O
// error) every op of that batch fails with ErrBatchAborted and none is
// committed. A panic inside an op is recovered and becomes that op's error.
//
// Reads: a separate pool of query_only connections (Config.MaxReaders). In
// WAL mode readers and the writer never block each other: a read sees the
// snapshot of the last commit before it started, and a long read only holds
// back checkpointing.
//
// Cancellation: a caller whose ctx ends while it waits gets ctx.Err(). An op
// still in the queue is then skipped, but one the writer already ran may
// commit anyway: cancellation means "stop waiting", not "undo". Write
// statements run under the writer's own context, never the caller's,
// because interrupting a statement would roll back the whole shared batch.
//
// Shutdown: Close(ctx) refuses new writes (ErrClosed), lets the writer
// commit everything already queued, waits for the goroutine and closes both
// pools (the last connection checkpoints the WAL into the main file). If ctx
// ends first, the batch in progress is interrupted, the rest of the queue
// fails with ErrClosed, and Close still waits for the writer to stop before
// returning ctx's error. No goroutine outlives Close.
//
// # Durability
//
// "A crash loses nothing that was acknowledged" has two meanings, and the
// store offers both (Config.Durability):
//
//   - DurablePowerLoss (default): synchronous=FULL. Every batch commit
//     fsyncs the WAL before the acks go out, so acknowledged writes survive
//     a power cut or kernel crash too, as far as the storage honours flush
//     requests (cheap SD cards may not). A Raspberry Pi is often switched
//     off at the plug, so this is the default. Its cost is one fsync per
//     batch, not per write, thanks to batching.
//   - DurableProcessCrash: synchronous=NORMAL. A commit appends to the WAL
//     with write(2) but does not fsync it; the WAL is synced only at
//     checkpoints. A SIGKILL, OOM kill or panic of zhub loses nothing
//     acknowledged, because the data already sits in the kernel's page
//     cache, which outlives the process. A power cut can roll back the last
//     commits but never corrupts the file. It spares the SD card a flush per
//     batch.
//
// TestCrashKeepsAcknowledgedWrites SIGKILLs a writer mid-stream in both
// modes and checks that every acknowledged write is present and that
// PRAGMA integrity_check passes.
//
// # Migrations
//
// The schema is an append-only list of numbered steps (migrations in
// migrate.go; version = index + 1), recorded in PRAGMA user_version. Open
// applies the missing steps in order, each in its own transaction together
// with the user_version bump and a PRAGMA foreign_key_check, so a failed step
// leaves the file at the last good version. Before upgrading a file that
// already has a schema it writes a copy, <path>.v<old>.bak (VACUUM INTO), so
// an operator can go back to the older binary. A file whose version is newer
// than the binary knows is refused with a *VersionError (ErrSchemaTooNew):
// there are no down-migrations. Shipped steps are never edited; every step
// has a seed row in the tests, and the upgrade from every earlier version is
// tested.
//
// # Data conventions
//
// IEEE addresses are stored as "0x" + 16 lower-case hex digits (the methods
// accept upper case). Times are INTEGER unix milliseconds and come back in
// UTC; JSON documents are TEXT checked with json_valid. Tables are STRICT.
// Deleting a device cascades to its state, history, device context and
// group memberships; the event log keeps mentioning it. Groups are written
// as a whole set (ReplaceGroups, one write op), which the hub does on
// every group change: they are few, and a whole set cannot be reordered
// into a name conflict. History and the event log grow until the owner calls
// PruneHistory/PruneEvents, which delete in chunks so other writes are not
// held up. The store runs no timers of its own.
package store
