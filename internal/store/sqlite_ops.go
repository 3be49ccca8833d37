package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// batch is the writer's open transaction, as the ops see it.
type batch struct {
	w    *writer
	seqs map[string]int64 // last seq assigned per room in this transaction
}

// peekSeq returns the next sequence number of room without taking it; useSeq takes
// it once the message is in. Seqs taken in a transaction that rolls back are
// forgotten with it, so seqs stay gap-free.
func (tx *batch) peekSeq(room string) (int64, error) {
	seq, ok := tx.seqs[room]
	if !ok {
		seq, ok = tx.w.lastSeq[room]
	}
	if !ok {
		err := tx.w.st.lastSeq.QueryRowContext(context.Background(), room).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			seq, err = 0, nil // a new room
		}
		if err != nil {
			return 0, fmt.Errorf("read last seq: %w", err)
		}
		tx.w.rememberSeq(room, seq) // committed state, valid whatever this transaction does
	}
	return seq + 1, nil
}

func (tx *batch) useSeq(room string, seq int64) {
	tx.seqs[room] = seq
}

// appendOp stores one message.
type appendOp struct {
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

func newAppendOp(ctx context.Context, m Message) *appendOp {
	m = normalize(m)
	return &appendOp{
		ctx:        ctx,
		in:         m,
		attachment: jsonText(m.Attachment),
		metadata:   jsonText(m.Metadata),
		done:       make(chan error, 1),
	}
}

func (op *appendOp) callerContext() context.Context { return op.ctx }
func (op *appendOp) finish(err error)               { op.done <- err }

func (op *appendOp) apply(tx *batch) error {
	seq, err := tx.peekSeq(op.in.Room)
	if err != nil {
		return err
	}
	m := op.in
	m.Seq, m.ID, m.CreatedAt = seq, newMessageID(seq), now()
	// The insert itself checks the idempotency key (one index probe instead of a
	// query first): it inserts nothing when the key was used, and only then do we
	// look the earlier message up. Earlier ops of the same transaction count, so two
	// duplicates in one batch are caught as well.
	res, err := tx.w.st.insert.ExecContext(context.Background(),
		m.ID, m.Room, m.Seq, m.Sender, m.Content, m.ReplyTo,
		op.attachment, op.metadata, m.ClientMessageID, m.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("insert message: %w", err)
	} else if n == 1 {
		tx.useSeq(m.Room, seq)
		op.out, op.duplicate = m, false
		return nil
	}
	earlier, err := scanMessage(tx.w.st.byClient.QueryRowContext(context.Background(),
		m.Sender, m.Room, m.ClientMessageID))
	if err != nil {
		// Nothing inserted, yet no earlier message: another uniqueness constraint
		// held (an id collision or a second writer), which must not pass silently.
		return fmt.Errorf("insert message %s seq %d: conflict without earlier message: %w", m.ID, m.Seq, err)
	}
	op.out, op.duplicate = earlier, true
	return nil
}

// markOp advances one read marker.
type markOp struct {
	ctx            context.Context
	user, room, id string
	seq            int64
	advanced       bool       // written by the writer before finish
	done           chan error // buffered: the writer never waits for a caller
}

func (op *markOp) callerContext() context.Context { return op.ctx }
func (op *markOp) finish(err error)               { op.done <- err }

func (op *markOp) apply(tx *batch) error {
	res, err := tx.w.st.markRead.ExecContext(context.Background(), op.user, op.room, op.id, op.seq)
	if err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	op.advanced = n > 0
	return nil
}
