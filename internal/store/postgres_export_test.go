package store

import "context"

// OpenPostgresWriters opens a PostgreSQL store with the given number of writer
// goroutines; zero commits every write in its caller's goroutine, alone.
func OpenPostgresWriters(ctx context.Context, dsn string, writers int) (Store, error) {
	return openPostgresWriters(ctx, dsn, writers)
}

// MessageIDPrefix is the part of a message id that the seq determines, dash included.
func MessageIDPrefix(seq int64) string {
	return newMessageID(seq)[:seqDigits+1]
}
