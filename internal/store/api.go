// Package store keeps chat messages and read markers durably. It is the end of the
// write path in chatd's data flow: the chat domain hands it a validated message, and the
// message counts as sent only once Append has returned, i.e. once it is committed.
//
// Messages are ordered per room by a sequence number the store assigns at commit time,
// so history is gap-free and stable across restarts. Implementations: an in-memory one
// (tests, ephemeral runs), SQLite (the embedded default, one writer goroutine that
// batches concurrent appends into one transaction: group commit) and PostgreSQL (for
// several chatd nodes sharing one database; also group commit, with seqs ordered
// across nodes by a per-room counter row).
package store

// THIS FILE IS THE AGREED PUBLIC API. Bodies marked "not implemented" are to be
// replaced by the real implementation; exported names and signatures stay (more may be
// added).

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrNotFound is returned when a message does not exist in the given room.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("store: closed")

// ErrInvalidLimit is returned by After and Latest when limit is below 1.
var ErrInvalidLimit = errors.New("store: invalid limit")

// MaxPageSize caps the limit of After and Latest; a larger limit returns at most
// MaxPageSize messages (with hasMore set accordingly), so one call cannot load a whole
// room into memory.
const MaxPageSize = 1000

// Message is a stored chat message.
type Message struct {
	ID   string // assigned by Append: unique, and sorts like Seq within a room
	Room string
	Seq  int64 // assigned by Append: 1, 2, 3… per room, no gaps
	// Sender is the user id (JWT sub) of the author.
	Sender  string
	Content string
	// ReplyTo is the id of a message of the same room, or "".
	ReplyTo string
	// Attachment and Metadata are JSON objects as the client sent them, or nil.
	Attachment json.RawMessage
	Metadata   json.RawMessage
	// ClientMessageID is the client's idempotency key, or "".
	ClientMessageID string
	// CreatedAt is assigned by Append (UTC, millisecond precision).
	CreatedAt time.Time
}

// Store is what the chat domain needs from persistence. Implementations are safe for
// concurrent use.
type Store interface {
	// Append stores m durably and returns it with ID, Seq and CreatedAt set. If m has a
	// ClientMessageID that the same Sender already used in the same Room, nothing is
	// stored and the earlier message is returned with duplicate = true.
	//
	// If ctx ends while Append waits for the commit, it returns ctx.Err(), and the
	// message may or may not have been stored: retrying with the same ClientMessageID
	// is the safe way to find out. A ctx that has already ended stores nothing.
	Append(ctx context.Context, m Message) (stored Message, duplicate bool, err error)
	// Get returns the message with the given id in room, or ErrNotFound.
	Get(ctx context.Context, room, id string) (Message, error)
	// After returns up to limit messages of room with Seq > afterSeq, oldest first, and
	// whether more follow them.
	After(ctx context.Context, room string, afterSeq int64, limit int) (msgs []Message, hasMore bool, err error)
	// Latest returns the newest limit messages of room, oldest first, and whether older
	// ones exist before them.
	Latest(ctx context.Context, room string, limit int) (msgs []Message, hasMore bool, err error)
	// MarkRead records that user read room up to the message (id, seq). A marker never
	// moves back: it reports advanced = false when the stored marker is already at or
	// past seq. A seq below 1 stores nothing. Cancellation behaves as for Append.
	MarkRead(ctx context.Context, user, room, id string, seq int64) (advanced bool, err error)
	// ReadMarker returns the id and seq of the newest message user read in room, or
	// ("", 0) when none.
	ReadMarker(ctx context.Context, user, room string) (id string, seq int64, err error)
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close flushes pending writes and releases resources. Every call after Close,
	// including a second Close, returns ErrClosed.
	Close() error
}

// Pipeliner is implemented by stores that commit the appends to one room in the
// order they were started. StartAppend hands m to the store at once and returns the
// pending append, so one caller may have several appends in flight, each committed
// after the ones to the same room it started before. ctx must stay live until Wait
// returns. Both durable stores implement it: SQLite's one writer commits in queue
// order; PostgreSQL's writers each own a set of rooms and commit in queue order.
type Pipeliner interface {
	StartAppend(ctx context.Context, m Message) PendingAppend
}

// PendingAppend is an append handed to a Pipeliner.
type PendingAppend interface {
	// Wait returns the append's outcome, as Append's, once it is known.
	Wait() (stored Message, duplicate bool, err error)
	// Ready reports whether the outcome is known, so that Wait would not block; it
	// is meant to be asked before Wait.
	Ready() bool
}

// Open opens the store named by dsn: ":memory:" for the in-memory store, a
// "postgres://" or "postgresql://" URL for PostgreSQL (pooled; its schema is migrated
// on open; pgxpool settings such as pool_max_conns may be added to the URL), otherwise
// a SQLite database file path (its directory is created if needed).
//
// A "sqlite:" or "sqlite://" prefix before the path is accepted; any other URL scheme
// is refused with an error.
func Open(ctx context.Context, dsn string) (Store, error) {
	if dsn == ":memory:" {
		return newMemory(), nil
	}
	if isPostgresDSN(dsn) {
		return openPostgres(ctx, dsn)
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	return openSQLite(ctx, path)
}
