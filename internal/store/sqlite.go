package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Durability. The contract is "durably stored before the receipt is sent", so a
// committed transaction must survive kill -9 of the process. WAL with
// synchronous=NORMAL already does: a commit is in the WAL file (the kernel's page
// cache) before COMMIT returns. It does not survive power loss or a kernel crash,
// which may roll back the last commits; synchronous=FULL would, by fsyncing the WAL
// inside every COMMIT, but that stalls the single writer for the whole fsync. We run
// NORMAL and fsync the WAL ourselves before acknowledging (see syncer): every
// acknowledged write is on stable storage, as with FULL, while the writer commits the
// next batch during the fsync.
const (
	writerPragmas = "?_pragma=busy_timeout(5000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=cache_size(-16000)" + // 16 MB page cache for the writer
		"&_pragma=temp_store(memory)" +
		"&_pragma=wal_autocheckpoint(10000)" + // backstop only; see checkpointer
		"&_pragma=journal_size_limit(67108864)" // shrink the WAL to 64 MB after a burst
	readerPragmas = "?_pragma=busy_timeout(5000)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=cache_size(-8000)" + // 8 MB page cache per read connection
		"&_query_only=1"
)

// sqliteStore is the SQLite Store. All writes go through one writer goroutine that owns
// the single write connection and commits them in batches; reads use a separate pool
// of read-only connections, which WAL lets run beside the writer without waiting.
type sqliteStore struct {
	reads *sql.DB   // read-only connection pool
	rq    readStmts // prepared on reads
	w     *writer
	lock  *lockFile // held from open to close: one process per database file

	// mu is held shared while a caller hands an op to the writer and exclusively by
	// Close, so Close closes the writer's queue only when no hand-off is in flight.
	mu     sync.RWMutex
	closed atomic.Bool // set by Close under mu; read anywhere
}

// sqlitePath extracts the database file path from dsn.
func sqlitePath(dsn string) (string, error) {
	path := dsn
	if p, ok := strings.CutPrefix(dsn, "sqlite://"); ok {
		path = p
	} else if p, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		path = p
	} else if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		return "", fmt.Errorf("open store: unsupported scheme %q", scheme)
	}
	if path == "" {
		return "", errors.New("open store: empty database path")
	}
	if strings.ContainsRune(path, '?') {
		// The driver reads everything after '?' as connection parameters.
		return "", fmt.Errorf("open store: database path %q contains '?'", path)
	}
	return path, nil
}

// openSQLite opens (creating if needed) the database at path, migrates its schema and
// starts the writer.
func openSQLite(ctx context.Context, path string) (_ *sqliteStore, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	// Chat history is private: create the file owner-only before SQLite creates it
	// with its default 0644. SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	lock, err := lockDatabase(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = lock.unlock()
		}
	}()
	// The writer opens first: it switches the file to WAL and migrates the schema,
	// which the read-only connections cannot do.
	w, err := openWriter(ctx, path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = w.close()
		}
	}()
	reads, err := sql.Open("sqlite", path+readerPragmas)
	if err != nil {
		return nil, fmt.Errorf("open read pool: %w", err)
	}
	conns := max(4, 2*runtime.GOMAXPROCS(0))
	reads.SetMaxOpenConns(conns)
	reads.SetMaxIdleConns(conns)
	rq, err := prepareReads(ctx, reads)
	if err != nil {
		_ = reads.Close()
		return nil, err
	}
	go w.run()
	return &sqliteStore{reads: reads, rq: rq, w: w, lock: lock}, nil
}

func (s *sqliteStore) Append(ctx context.Context, m Message) (Message, bool, error) {
	op := newAppendOp(ctx, m)
	if err := s.submit(ctx, op, op.done); err != nil {
		return Message{}, false, err
	}
	return op.out, op.duplicate, nil
}

// StartAppend implements Pipeliner: the op is queued before it returns, and the
// writer commits queued ops in order.
func (s *sqliteStore) StartAppend(ctx context.Context, m Message) PendingAppend {
	op := newAppendOp(ctx, m)
	p := &pendingAppend{ctx: ctx, op: op, done: op.done}
	if p.err = ctx.Err(); p.err == nil {
		p.err = s.enqueue(ctx, op)
	}
	return p
}

func (s *sqliteStore) MarkRead(ctx context.Context, user, room, id string, seq int64) (bool, error) {
	if seq < 1 { // nothing to store; answer as a stored no-op would
		if err := ctx.Err(); err != nil {
			return false, err
		}
		return false, s.checkOpen()
	}
	op := &markOp{ctx: ctx, user: user, room: room, id: id, seq: seq, done: make(chan error, 1)}
	if err := s.submit(ctx, op, op.done); err != nil {
		return false, err
	}
	return op.advanced, nil
}

// submit hands op to the writer and waits for the commit of its batch. A caller whose
// ctx ends first returns ctx.Err(); the op may still commit.
func (s *sqliteStore) submit(ctx context.Context, op writeOp, done <-chan error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.enqueue(ctx, op); err != nil {
		return err
	}
	return awaitCommit(ctx, done)
}

func (s *sqliteStore) enqueue(ctx context.Context, op writeOp) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return ErrClosed
	}
	select {
	case s.w.queue <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *sqliteStore) checkOpen() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

func (s *sqliteStore) Ping(ctx context.Context) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := s.w.sync.failed(); err != nil {
		return err // writes fail from now on, so the store is not ready
	}
	if err := s.reads.PingContext(ctx); err != nil {
		return s.readErr("ping database", err)
	}
	return nil
}

// readErr wraps a failed read, reporting ErrClosed when Close raced with it.
func (s *sqliteStore) readErr(what string, err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Close stops accepting writes, lets the writer commit everything already queued,
// then closes the read pool and finally the write connection, which as the last
// connection checkpoints the WAL into the database file.
func (s *sqliteStore) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed.Store(true)
	close(s.w.queue)
	s.mu.Unlock()

	<-s.w.done
	errRead := errors.Join(s.rq.close(), s.reads.Close())
	errWrite := s.w.close()
	return errors.Join(errRead, errWrite, s.lock.unlock())
}
