package store

import (
	"context"
	"time"
)

// BreakWALSync makes the next fsync of s's WAL fail, as a failing disk would. s must
// be a SQLite store.
func BreakWALSync(s Store) {
	_ = s.(*sqliteStore).w.sync.wal.Close()
}

// OpenSQLiteBatched opens the SQLite store at path with its writer stopped. Writes
// queue up until commitQueued(n) waits for n of them to be queued and starts the
// writer, which then commits all n in one batch.
func OpenSQLiteBatched(ctx context.Context, path string) (s Store, commitQueued func(n int), err error) {
	st, err := openSQLiteStopped(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	return st, func(n int) {
		for len(st.w.queue) < n {
			time.Sleep(time.Millisecond)
		}
		go st.w.run()
	}, nil
}
