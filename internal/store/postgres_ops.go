package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// pgAppendSQL stores one message in a single statement, so that it needs no round
// trip of its own inside a batch:
//
//   - dup finds an earlier message with the same idempotency key; repeating the
//     partial unique index's condition (a non-empty key) lets the planner use it.
//   - next takes the room's next seq by incrementing its counter row, but only when
//     there is no earlier message: a duplicate consumes no seq. The row lock it takes
//     orders the appends of one room across nodes until the transaction ends.
//   - ins inserts the message with that seq and an id built by chatd_message_id.
//
// Exactly one row comes back: the new message, or the earlier one flagged duplicate.
// If another node commits the same key between dup's snapshot and ins, the unique
// index fails the statement (and the seq increment with it); a retry then finds the
// earlier message.
//
// Parameters: $1 room, $2 sender, $3 content, $4 reply to, $5 attachment, $6 metadata,
// $7 client message id, $8 created at, $9 the random part of the id.
const pgAppendSQL = `WITH dup AS (
	SELECT ` + messageColumns + ` FROM messages
	WHERE sender = $2 AND room = $1 AND client_message_id = $7 AND client_message_id <> ''
), next AS (
	INSERT INTO rooms AS r (room, last_seq) SELECT $1, 1 WHERE NOT EXISTS (SELECT FROM dup)
	ON CONFLICT (room) DO UPDATE SET last_seq = r.last_seq + 1
	RETURNING last_seq
), ins AS (
	INSERT INTO messages (` + messageColumns + `)
	SELECT chatd_message_id(last_seq, $9), $1, last_seq, $2, $3, $4, $5, $6, $7, $8 FROM next
	RETURNING ` + messageColumns + `
)
SELECT false, ` + messageColumns + ` FROM ins
UNION ALL
SELECT true, ` + messageColumns + ` FROM dup`

// pgMarkSQL advances a read marker; it changes no row when the marker is already at or
// past the seq. Parameters: $1 user, $2 room, $3 message id, $4 seq.
const pgMarkSQL = `INSERT INTO read_markers AS rm (user_id, room, message_id, seq) VALUES ($1, $2, $3, $4)
	ON CONFLICT (user_id, room) DO UPDATE SET message_id = EXCLUDED.message_id, seq = EXCLUDED.seq
	WHERE rm.seq < EXCLUDED.seq`

// errPGNoResult means an append statement returned no row, which its SQL rules out.
var errPGNoResult = errors.New("append returned no row")

// pgAppendOp stores one message.
type pgAppendOp struct {
	ctx context.Context
	in  Message
	// attachment and metadata are in's JSON fields as bound to the insert, copied
	// when the op is made: a caller that gives up may reuse its buffers while the op
	// still waits in the queue.
	attachment, metadata any
	out                  Message    // written by the writer before finish
	duplicate            bool       // written by the writer before finish
	done                 chan error // buffered: the writer never waits for a caller
}

func newPGAppendOp(ctx context.Context, m Message) *pgAppendOp {
	m = normalize(m)
	m.CreatedAt = now()
	return &pgAppendOp{
		ctx:        ctx,
		in:         m,
		attachment: jsonText(m.Attachment),
		metadata:   jsonText(m.Metadata),
		done:       make(chan error, 1),
	}
}

func (op *pgAppendOp) callerContext() context.Context { return op.ctx }
func (op *pgAppendOp) finish(err error)               { op.done <- err }
func (op *pgAppendOp) lockOrder() pgLockKey {
	return pgLockKey{table: pgLockRooms, room: op.in.Room}
}

func (op *pgAppendOp) queue(b *pgx.Batch) {
	m := op.in
	b.Queue(pgAppendSQL, m.Room, m.Sender, m.Content, m.ReplyTo, op.attachment, op.metadata,
		m.ClientMessageID, m.CreatedAt, newIDSuffix())
}

func (op *pgAppendOp) read(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("append message: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("append message: %w", err)
		}
		return fmt.Errorf("append message: %w", errPGNoResult)
	}
	var dup bool
	m, err := scanPGMessage(rows, &dup)
	if err != nil {
		return fmt.Errorf("append message: %w", err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("append message: %w", err)
	}
	op.out, op.duplicate = m, dup
	return nil
}

// pgMarkOp advances one read marker.
type pgMarkOp struct {
	ctx            context.Context
	user, room, id string
	seq            int64
	advanced       bool       // written by the writer before finish
	done           chan error // buffered: the writer never waits for a caller
}

func (op *pgMarkOp) callerContext() context.Context { return op.ctx }
func (op *pgMarkOp) finish(err error)               { op.done <- err }
func (op *pgMarkOp) lockOrder() pgLockKey {
	return pgLockKey{table: pgLockMarkers, room: op.room, user: op.user}
}

func (op *pgMarkOp) queue(b *pgx.Batch) {
	b.Queue(pgMarkSQL, op.user, op.room, op.id, op.seq)
}

func (op *pgMarkOp) read(br pgx.BatchResults) error {
	tag, err := br.Exec()
	if err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	op.advanced = tag.RowsAffected() > 0
	return nil
}

// newIDSuffix returns the random part of a message id, as newMessageID makes it; the
// database puts the seq part in front once it knows the seq (chatd_message_id).
func newIDSuffix() string {
	var random [randomBytes]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never fails on supported platforms
	return idEncoding.EncodeToString(random[:])
}

// scanPGMessage reads one row selected with messageColumns, after extra leading
// columns scanned into extra.
func scanPGMessage(row pgx.Row, extra ...any) (Message, error) {
	var m Message
	var attachment, metadata []byte // nil for NULL
	dest := append(extra, &m.ID, &m.Room, &m.Seq, &m.Sender, &m.Content, &m.ReplyTo,
		&attachment, &metadata, &m.ClientMessageID, &m.CreatedAt)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Message{}, ErrNotFound
		}
		return Message{}, err
	}
	m.Attachment, m.Metadata = attachment, metadata
	// The same representation as Append's now(), so that equal times compare equal.
	m.CreatedAt = fromMillis(m.CreatedAt.UnixMilli())
	return normalize(m), nil
}
