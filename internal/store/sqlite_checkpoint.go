package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// checkpointPause is the shortest time between two checkpoints: long enough that a
// checkpoint copies many commits' pages at once, short enough that the WAL stays
// small.
const checkpointPause = 200 * time.Millisecond

// checkpointer copies the WAL back into the database file from its own connection,
// so the writer never pays for it: the writer's connection has its automatic
// checkpoint raised to a backstop that is only reached if this one falls behind. A
// PASSIVE checkpoint neither blocks nor waits for the writer or the readers, and it
// syncs the WAL before and the database file after copying, so it never weakens
// durability.
type checkpointer struct {
	db   *sql.DB       // one connection of its own
	kick chan struct{} // a commit happened; buffered 1, sent without blocking by the writer
	quit chan struct{} // closed by stop
	done chan struct{} // closed when run returns
}

func openCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open checkpoint connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	return &checkpointer{
		db:   db,
		kick: make(chan struct{}, 1),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}, nil
}

// notify tells the checkpointer that the WAL grew. It never blocks.
func (c *checkpointer) notify() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		select {
		case <-c.kick:
		case <-c.quit:
			return
		}
		// A failed checkpoint loses nothing: the frames stay in the WAL and the
		// next checkpoint (or the writer's backstop) copies them.
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		pause.Reset(checkpointPause)
		select {
		case <-pause.C:
		case <-c.quit:
			return
		}
	}
}

// stop ends run, which must have been started.
func (c *checkpointer) stop() {
	close(c.quit)
	<-c.done
}

// close releases the connection; run must have returned (or never started).
func (c *checkpointer) close() error {
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close checkpoint connection: %w", err)
	}
	return nil
}
