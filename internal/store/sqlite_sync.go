package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// syncQueueLen is how many committed batches may wait for an fsync before the writer
// blocks; the syncer covers all of them with one fsync.
const syncQueueLen = 1

// syncer makes committed batches durable and only then answers their ops. SQLite
// runs with synchronous=NORMAL, so COMMIT writes the WAL without fsync; the syncer
// fsyncs the WAL file itself, beside the writer: while batch N is being synced the
// writer already builds and commits batch N+1 (pipelined group commit), and one fsync
// covers every batch committed before it started.
//
// This gives the durability of synchronous=FULL — an acknowledged write survives
// power loss, not only kill -9 — at the throughput of NORMAL. It is sound because
// fsync flushes the whole file, whichever descriptor it is called on, and SQLite keeps
// the WAL file (the same inode) for as long as the writer's connection is open; at
// checkpoints SQLite itself syncs the WAL before and the database file after, as
// NORMAL always does. Readers may see a committed message before its fsync is done;
// only its sender's acknowledgement waits.
type syncer struct {
	wal     *os.File       // the -wal file, opened read-only for fsync; owned by run
	batches chan []writeOp // committed batches in commit order; closed by writer.run
	done    chan struct{}  // closed when run has answered every batch
	// failure is the first fsync error. After it nothing is known to be durable any
	// more (the kernel may have dropped the dirty pages), so every later write fails.
	failure atomic.Pointer[error]
}

// openSyncer opens the WAL file of the database at path. The writer's connection must
// be open and have read the database, which creates the WAL file in WAL mode.
func openSyncer(path string) (*syncer, error) {
	wal, err := os.Open(path + "-wal")
	if err != nil {
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	// Make the WAL file's directory entry durable too, once.
	if err := syncDir(filepath.Dir(path)); err != nil {
		_ = wal.Close()
		return nil, err
	}
	return &syncer{
		wal:     wal,
		batches: make(chan []writeOp, syncQueueLen),
		done:    make(chan struct{}),
	}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open database directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync database directory: %w", err)
	}
	return nil
}

// run answers committed batches after each fsync until batches is closed.
func (s *syncer) run() {
	defer close(s.done)
	for ops := range s.batches {
		pending := [][]writeOp{ops}
		for more := true; more; {
			select {
			case next, ok := <-s.batches:
				if ok {
					pending = append(pending, next)
				}
				more = ok
			default:
				more = false
			}
		}
		err := s.sync()
		for _, batch := range pending {
			for _, op := range batch {
				op.finish(err)
			}
		}
	}
}

func (s *syncer) sync() error {
	if err := s.failed(); err != nil {
		return err
	}
	if err := datasync(s.wal); err != nil {
		err = fmt.Errorf("sync write-ahead log: %w", err)
		s.failure.CompareAndSwap(nil, &err)
		return err
	}
	return nil
}

// failed returns the fsync error that broke the store, or nil.
func (s *syncer) failed() error {
	if p := s.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// close releases the WAL file; run must have returned (or never started).
func (s *syncer) close() error {
	if err := s.wal.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("close write-ahead log: %w", err)
	}
	return nil
}
