package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

const (
	// maxBatch caps how many ops one transaction commits. Large enough that 100
	// concurrent senders share one fsync; small enough that one commit stays short.
	maxBatch = 512
	// queueLen is how many ops may wait for the writer before callers block.
	queueLen = 2 * maxBatch
	// maxCachedRooms bounds the writer's last-seq cache; past it the cache restarts
	// empty and refills from the primary key, one lookup per room.
	maxCachedRooms = 100_000
)

// writer owns the single write connection. Its run loop takes every op queued, runs
// them in one transaction and commits once (group commit), then passes the ops to the
// syncer, which answers them once the commit is durable: every caller still waits for
// its own write, but concurrent callers share one transaction and one fsync.
type writer struct {
	db    *sql.DB   // holds exactly one connection, conn
	conn  *sql.Conn // used only by run once the loop started
	st    writeStmts
	sync  *syncer       // answers committed ops once durable
	ckpt  *checkpointer // copies the WAL into the database file
	queue chan writeOp  // closed by sqliteStore.Close when no hand-off is in flight
	done  chan struct{} // closed when run has answered every op and returned

	lastSeq map[string]int64 // committed last seq per room; owned by run
	tx      batch            // reused by every transaction; owned by run
}

// writeOp is one write waiting for the writer.
type writeOp interface {
	// callerContext is the context of the waiting caller; an op whose caller gave up
	// before its batch started is not run.
	callerContext() context.Context
	// apply performs the op inside the open batch transaction.
	apply(tx *batch) error
	// finish reports the outcome of the op's transaction: nil once committed.
	finish(err error)
}

// writeStmts are the writer's statements, prepared once on its connection.
type writeStmts struct {
	begin, commit, rollback *sql.Stmt
	lastSeq                 *sql.Stmt // room; no row for a new room
	byClient                *sql.Stmt // sender, room, client message id
	insert                  *sql.Stmt // all message columns
	markRead                *sql.Stmt // user, room, message id, seq
}

func openWriter(ctx context.Context, path string) (_ *writer, err error) {
	db, err := sql.Open("sqlite", path+writerPragmas)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(1)
	w := &writer{
		db:      db,
		queue:   make(chan writeOp, queueLen),
		done:    make(chan struct{}),
		lastSeq: make(map[string]int64),
	}
	w.tx.w = w
	w.tx.seqs = make(map[string]int64)
	defer func() {
		if err != nil {
			_ = w.close()
		}
	}()
	if w.conn, err = db.Conn(ctx); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := migrate(ctx, w.conn); err != nil {
		return nil, err
	}
	if w.st, err = prepareWrites(ctx, w.conn); err != nil {
		return nil, err
	}
	if w.sync, err = openSyncer(path); err != nil {
		return nil, err
	}
	if w.ckpt, err = openCheckpointer(path); err != nil {
		return nil, err
	}
	return w, nil
}

func prepareWrites(ctx context.Context, conn *sql.Conn) (writeStmts, error) {
	var st writeStmts
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = conn.PrepareContext(ctx, query)
		return s
	}
	// Transactions are plain statements on the pinned connection rather than sql.Tx,
	// so the prepared statements below are reused as they are in every transaction.
	st.begin = prep(`BEGIN IMMEDIATE`)
	st.commit = prep(`COMMIT`)
	st.rollback = prep(`ROLLBACK`)
	st.lastSeq = prep(`SELECT seq FROM messages WHERE room = ? ORDER BY seq DESC LIMIT 1`)
	// The repeated "<> ''" lets SQLite use the partial idempotency index.
	st.byClient = prep(`SELECT ` + messageColumns + ` FROM messages
		WHERE sender = ? AND room = ? AND client_message_id = ? AND client_message_id <> ''`)
	st.insert = prep(`INSERT INTO messages (` + messageColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	st.markRead = prep(`INSERT INTO read_markers (user_id, room, message_id, seq) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, room) DO UPDATE SET message_id = excluded.message_id, seq = excluded.seq
		WHERE excluded.seq > read_markers.seq`)
	if err != nil {
		_ = st.close()
		return writeStmts{}, fmt.Errorf("prepare write statements: %w", err)
	}
	return st, nil
}

func (st writeStmts) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{st.begin, st.commit, st.rollback, st.lastSeq, st.byClient, st.insert, st.markRead} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// run is the writer goroutine. It returns once the queue is closed and drained.
func (w *writer) run() {
	go w.sync.run()
	go w.ckpt.run()
	defer func() {
		close(w.sync.batches)
		<-w.sync.done
		w.ckpt.stop()
		close(w.done)
	}()
	runBatches(w.queue, w.commit)
}

// commit runs ops in one transaction and hands them to the syncer, which answers
// them once the transaction is durable.
func (w *writer) commit(ops []writeOp) {
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
	if err := w.sync.failed(); err != nil {
		finishAll(live, err)
		return
	}
	err := w.runTx(live)
	if err == nil {
		w.ckpt.notify()
		w.sync.batches <- slices.Clone(live) // live's array is reused for the next batch
		return
	}
	// The failure may come from a stale cached seq (a row written behind the
	// writer's back); forget them all so that the retries read them afresh.
	clear(w.lastSeq)
	// One op may have failed the whole batch; retry each alone so that the others
	// still commit and only the culprit sees its error.
	for _, op := range live {
		if err := w.runTx([]writeOp{op}); err != nil {
			op.finish(err)
			continue
		}
		w.ckpt.notify()
		w.sync.batches <- []writeOp{op}
	}
}

func finishAll(ops []writeOp, err error) {
	for _, op := range ops {
		op.finish(err)
	}
}

// runTx applies ops in one transaction and commits it.
func (w *writer) runTx(ops []writeOp) error {
	// The writer's own context: a caller giving up must not abort a transaction that
	// carries other callers' writes.
	ctx := context.Background()
	clear(w.tx.seqs)
	if _, err := w.st.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	for _, op := range ops {
		if err := op.apply(&w.tx); err != nil {
			w.rollback(ctx)
			return err
		}
	}
	if _, err := w.st.commit.ExecContext(ctx); err != nil {
		w.rollback(ctx)
		return fmt.Errorf("commit transaction: %w", err)
	}
	w.rememberSeqs(w.tx.seqs)
	return nil
}

// rollback abandons the open transaction. Its error is dropped: the transaction may
// already be gone (SQLite rolls back by itself on some errors), and the caller reports
// the error that caused the rollback.
func (w *writer) rollback(ctx context.Context) {
	_, _ = w.st.rollback.ExecContext(ctx)
}

// rememberSeqs records the last seqs of a committed transaction in the cache.
func (w *writer) rememberSeqs(seqs map[string]int64) {
	for room, seq := range seqs {
		w.rememberSeq(room, seq)
	}
}

func (w *writer) rememberSeq(room string, seq int64) {
	if _, ok := w.lastSeq[room]; !ok && len(w.lastSeq) >= maxCachedRooms {
		clear(w.lastSeq)
	}
	w.lastSeq[room] = seq
}

// close releases the write connection; run must have returned (or never started).
func (w *writer) close() error {
	var errs []error
	if w.ckpt != nil {
		errs = append(errs, w.ckpt.close())
	}
	if w.sync != nil {
		errs = append(errs, w.sync.close())
	}
	errs = append(errs, w.st.close())
	if w.conn != nil {
		errs = append(errs, w.conn.Close())
	}
	errs = append(errs, w.db.Close())
	return errors.Join(errs...)
}
