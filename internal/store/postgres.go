package store

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
)

// pgStore is the PostgreSQL Store, for running several chatd nodes on one database.
//
// Writes go through writer goroutines, each owning a share of the rooms, that send
// every op queued for them as one pipelined batch, which PostgreSQL runs as one
// implicit transaction: one round trip and one commit for many appends (group
// commit). Sequence numbers come from a per-room counter row that each append
// increments in its transaction, so its row lock orders the appends of one room across
// all nodes while different rooms proceed in parallel. Reads go straight to the pool.
type pgStore struct {
	// pool, writers and seed are set by openPostgresWriters and never change.
	pool    *pgxpool.Pool
	writers []*pgWriter // a room's ops go to writers[hash(room) % len]; none: runDirect
	seed    maphash.Seed

	// mu is held shared while a caller hands an op to a writer and exclusively by
	// Close, so Close closes the queues only when no hand-off is in flight.
	mu     sync.RWMutex
	closed atomic.Bool // set by Close under mu; read anywhere
}

// pgWriterCount is how many batches one node may have in flight at once, on as many
// connections. Rooms are spread over the writers, so their batches never wait for
// each other's row locks. Two keep the database busy while one batch waits for its
// commit; more split the queue into smaller batches, whose per-transaction cost
// outweighs the parallelism (measured with BenchmarkPostgresAppend: on 2 cores, 2
// writers beat 1, 4 and 8 at 10 and 100 senders).
const pgWriterCount = 2

// isPostgresDSN reports whether dsn names a PostgreSQL database.
func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openPostgres connects a pool to the database named by dsn (a libpq URL; pgxpool
// settings such as pool_max_conns may be added to it), migrates the schema and
// starts the writers.
func openPostgres(ctx context.Context, dsn string) (*pgStore, error) {
	return openPostgresWriters(ctx, dsn, pgWriterCount)
}

// openPostgresWriters is openPostgres with a given number of writers. Zero runs every
// write in its caller's goroutine, each in a transaction of its own (no group commit;
// kept to measure against), and then a write waits for its commit even when its
// ctx ends.
func openPostgresWriters(ctx context.Context, dsn string, writers int) (_ *pgStore, err error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres dsn: %w", err)
	}
	writers = sizePGPool(cfg, writers, strings.Contains(dsn, "pool_max_conns="))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	if err := pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := migratePostgres(ctx, pool); err != nil {
		return nil, err
	}
	s := &pgStore{pool: pool, seed: maphash.MakeSeed()}
	for range writers {
		w := newPGWriter(pool)
		s.writers = append(s.writers, w)
		go w.run()
	}
	return s, nil
}

// sizePGPool makes room in the pool for the writers beside the reads, and returns how
// many writers to run. A pool size set in the DSN (pool_max_conns) is kept, and the
// writers then take at most half of it: that is how an operator bounds the
// connections each node opens.
func sizePGPool(cfg *pgxpool.Config, writers int, sizeGiven bool) int {
	if !sizeGiven {
		cfg.MaxConns += int32(writers) // the default, max(4, NumCPU), stays for reads
		return writers
	}
	if writers == 0 {
		return 0
	}
	return max(1, min(writers, int(cfg.MaxConns/2)))
}

func (s *pgStore) Append(ctx context.Context, m Message) (Message, bool, error) {
	op := newPGAppendOp(ctx, m)
	if err := s.submit(ctx, op, op.done); err != nil {
		return Message{}, false, err
	}
	return op.out, op.duplicate, nil
}

func (s *pgStore) MarkRead(ctx context.Context, user, room, id string, seq int64) (bool, error) {
	if seq < 1 { // nothing to store; answer as a stored no-op would
		if err := ctx.Err(); err != nil {
			return false, err
		}
		return false, s.checkOpen()
	}
	op := &pgMarkOp{ctx: ctx, user: user, room: room, id: id, seq: seq, done: make(chan error, 1)}
	if err := s.submit(ctx, op, op.done); err != nil {
		return false, err
	}
	return op.advanced, nil
}

// submit hands op to the writers (or, without writers, runs it here) and waits for
// its commit. A caller whose ctx ends first returns ctx.Err(); the op may still commit.
func (s *pgStore) submit(ctx context.Context, op pgOp, done <-chan error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(s.writers) == 0 {
		return s.runDirect(op, done)
	}
	if err := s.enqueue(ctx, s.writerFor(op), op); err != nil {
		return err
	}
	return awaitCommit(ctx, done)
}

// StartAppend makes the PostgreSQL store a Pipeliner: a room belongs to one writer,
// which commits its ops in queue order (sortPGOps is stable, and a rolled-back batch
// is retried op by op in the same order), so appends to one room commit in the order
// they were started. Without writers the append commits here, before it returns.
func (s *pgStore) StartAppend(ctx context.Context, m Message) PendingAppend {
	op := newPGAppendOp(ctx, m)
	p := &pendingAppend{ctx: ctx, op: op, done: op.done}
	switch {
	case ctx.Err() != nil:
		p.err = ctx.Err()
	case len(s.writers) == 0:
		p.err, p.done = s.runDirect(op, op.done), nil
	default:
		p.err = s.enqueue(ctx, s.writerFor(op), op)
	}
	return p
}

// runDirect commits op in a transaction of its own, holding off Close meanwhile.
func (s *pgStore) runDirect(op pgOp, done <-chan error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return ErrClosed
	}
	commitPGOps(s.pool, []pgOp{op})
	return <-done
}

// writerFor returns the writer that owns op's room.
func (s *pgStore) writerFor(op pgOp) *pgWriter {
	h := maphash.String(s.seed, op.lockOrder().room)
	return s.writers[h%uint64(len(s.writers))]
}

func (s *pgStore) enqueue(ctx context.Context, w *pgWriter, op pgOp) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return ErrClosed
	}
	select {
	case w.queue <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *pgStore) checkOpen() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

func (s *pgStore) Ping(ctx context.Context) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := s.pool.Ping(ctx); err != nil {
		return s.readErr("ping postgres", err)
	}
	return nil
}

// readErr wraps a failed read, reporting ErrClosed when Close raced with it.
func (s *pgStore) readErr(what string, err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Close stops accepting writes, lets the writers commit everything already queued,
// then closes the pool, which waits for reads still running.
func (s *pgStore) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed.Store(true)
	for _, w := range s.writers {
		close(w.queue)
	}
	s.mu.Unlock()

	for _, w := range s.writers {
		<-w.done
	}
	s.pool.Close()
	return nil
}
