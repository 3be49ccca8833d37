package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// pgBatchTimeout bounds one batch: a database that stops answering fails the
	// waiting writes instead of holding them (and Close) forever.
	pgBatchTimeout = 30 * time.Second
	// pgAttempts is how often an op that failed alone is tried before its error is
	// reported; see retryable.
	pgAttempts = 3
)

// pgOp is one write waiting for a writer.
type pgOp interface {
	// callerContext is the context of the waiting caller; an op whose caller gave up
	// before its batch was sent is not run.
	callerContext() context.Context
	// lockOrder places the op in its batch; see sortPGOps.
	lockOrder() pgLockKey
	// queue adds the op's statement to b.
	queue(b *pgx.Batch)
	// read takes the op's result from br, in queue order.
	read(br pgx.BatchResults) error
	// finish reports the outcome of the op's transaction: nil once committed.
	finish(err error)
}

// pgLockKey is the row an op locks: appends lock their room's counter row, read
// markers their marker row.
type pgLockKey struct {
	table int // pgLockRooms or pgLockMarkers
	room  string
	user  string // for pgLockMarkers
}

const (
	pgLockRooms = iota
	pgLockMarkers
)

// pgWriter sends batches of queued ops until its queue is closed and drained. Each
// room belongs to one writer of a store, so the batches of a store's writers never
// wait for each other's row locks, and a room's ops keep their order.
type pgWriter struct {
	pool  *pgxpool.Pool
	queue chan pgOp     // closed by pgStore.Close when no hand-off is in flight
	done  chan struct{} // closed when run has answered every op and returned
}

func newPGWriter(pool *pgxpool.Pool) *pgWriter {
	return &pgWriter{pool: pool, queue: make(chan pgOp, queueLen), done: make(chan struct{})}
}

func (w *pgWriter) run() {
	defer close(w.done)
	runBatches(w.queue, func(ops []pgOp) { commitPGOps(w.pool, ops) })
}

// commitPGOps commits ops in one transaction and answers each of them. If the batch
// is rolled back, each op is retried alone, so one bad op (or a conflict with another
// node) fails only itself.
func commitPGOps(pool *pgxpool.Pool, ops []pgOp) {
	live := ops[:0]
	for _, op := range ops {
		if err := op.callerContext().Err(); err != nil {
			op.finish(err)
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return
	}
	sortPGOps(live)
	err := sendPGBatch(pool, live)
	if err != nil && rolledBack(err) {
		for _, op := range live {
			op.finish(commitPGOp(pool, op))
		}
		return
	}
	for _, op := range live {
		op.finish(err)
	}
}

// rolledBack reports whether a failed batch is known to have stored nothing: the
// server reported an error for one of its statements, so the transaction was never
// committed, or reported an ordinary error for the commit itself, or nothing reached
// it. Otherwise, such as when the connection broke while the commit was under way,
// the batch may have committed, and running its ops again could store a message
// twice; their callers get the error, and a resend with the same client message id
// tells them what happened.
func rolledBack(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return pgconn.SafeToRetry(err)
	}
	var commitErr *pgCommitError
	if errors.As(err, &commitErr) {
		return pgErr.Severity == "ERROR" // FATAL or PANIC: the session died, maybe after committing
	}
	return true
}

// pgCommitError is an error that ended a batch after all its statements succeeded,
// that is, while it was being committed.
type pgCommitError struct{ err error }

func (e *pgCommitError) Error() string { return "commit batch: " + e.err.Error() }
func (e *pgCommitError) Unwrap() error { return e.err }

// commitPGOp runs op in a transaction of its own, retrying transient conflicts.
func commitPGOp(pool *pgxpool.Pool, op pgOp) error {
	var err error
	for range pgAttempts {
		if err = sendPGBatch(pool, []pgOp{op}); !retryable(err) {
			return err
		}
	}
	return err
}

// retryable reports whether err is a conflict that trying again resolves: another
// node committed the same idempotency key after this op looked for it (the retry
// finds it and answers duplicate), a message id collision (the retry draws a new
// id), or a deadlock or serialization failure.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "23505", "40P01", "40001": // unique_violation, deadlock_detected, serialization_failure
		return true
	}
	return false
}

// sortPGOps orders a batch so that every transaction, on every node, locks rows in
// the same order (counter rows by room, then marker rows), which rules out deadlocks
// between concurrent batches. The sort is stable, so the appends of one room keep the
// order in which they were queued.
func sortPGOps(ops []pgOp) {
	slices.SortStableFunc(ops, func(x, y pgOp) int {
		kx, ky := x.lockOrder(), y.lockOrder()
		return cmp.Or(cmp.Compare(kx.table, ky.table), cmp.Compare(kx.room, ky.room), cmp.Compare(kx.user, ky.user))
	})
}

// sendPGBatch runs ops as one pipelined batch. Without transaction statements of its
// own a batch runs as one implicit transaction, committed when the server reaches its
// end: all ops commit together or none does.
func sendPGBatch(pool *pgxpool.Pool, ops []pgOp) (err error) {
	// Not the callers' contexts: one caller giving up must not abort a transaction
	// that carries other callers' writes.
	ctx, cancel := context.WithTimeout(context.Background(), pgBatchTimeout)
	defer cancel()
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(ops))}
	for _, op := range ops {
		op.queue(b)
	}
	br := pool.SendBatch(ctx, b)
	defer func() {
		// Close reads to the end of the batch, where the commit is reported.
		if cerr := br.Close(); err == nil && cerr != nil {
			err = &pgCommitError{err: cerr}
		}
	}()
	for _, op := range ops {
		if err := op.read(br); err != nil {
			return err
		}
	}
	return nil
}
