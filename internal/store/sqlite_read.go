package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// messageColumns is the column list every message query selects, in scanMessage order.
const messageColumns = `id, room, seq, sender, content, reply_to, attachment, metadata, client_message_id, created_at`

// readStmts are the read queries, prepared once on the read pool.
type readStmts struct {
	get    *sql.Stmt // room, id
	after  *sql.Stmt // room, afterSeq, limit
	latest *sql.Stmt // room, limit
	marker *sql.Stmt // user, room
}

func prepareReads(ctx context.Context, db *sql.DB) (readStmts, error) {
	var q readStmts
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		return st
	}
	q.get = prep(`SELECT ` + messageColumns + ` FROM messages WHERE room = ? AND id = ?`)
	q.after = prep(`SELECT ` + messageColumns + ` FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?`)
	q.latest = prep(`SELECT ` + messageColumns + ` FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?`)
	q.marker = prep(`SELECT message_id, seq FROM read_markers WHERE user_id = ? AND room = ?`)
	if err != nil {
		_ = q.close()
		return readStmts{}, fmt.Errorf("prepare read statements: %w", err)
	}
	return q, nil
}

func (q readStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{q.get, q.after, q.latest, q.marker} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

func (s *sqliteStore) Get(ctx context.Context, room, id string) (Message, error) {
	if err := s.checkOpen(); err != nil {
		return Message{}, err
	}
	m, err := scanMessage(s.rq.get.QueryRowContext(ctx, room, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, s.readErr("get message", err)
	}
	return m, nil
}

func (s *sqliteStore) After(ctx context.Context, room string, afterSeq int64, limit int) ([]Message, bool, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, false, err
	}
	if err := s.checkOpen(); err != nil {
		return nil, false, err
	}
	// One row beyond the page tells whether more follow, without a count query.
	msgs, err := queryMessages(ctx, s.rq.after, limit+1, room, afterSeq, limit+1)
	if err != nil {
		return nil, false, s.readErr("read messages after", err)
	}
	msgs, hasMore := trimPage(msgs, limit, false)
	return msgs, hasMore, nil
}

func (s *sqliteStore) Latest(ctx context.Context, room string, limit int) ([]Message, bool, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, false, err
	}
	if err := s.checkOpen(); err != nil {
		return nil, false, err
	}
	msgs, err := queryMessages(ctx, s.rq.latest, limit+1, room, limit+1)
	if err != nil {
		return nil, false, s.readErr("read latest messages", err)
	}
	msgs, hasMore := trimPage(msgs, limit, true) // the query reads newest first
	return msgs, hasMore, nil
}

func (s *sqliteStore) ReadMarker(ctx context.Context, user, room string) (string, int64, error) {
	if err := s.checkOpen(); err != nil {
		return "", 0, err
	}
	var id string
	var seq int64
	err := s.rq.marker.QueryRowContext(ctx, user, room).Scan(&id, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, s.readErr("read marker", err)
	}
	return id, seq, nil
}

// queryMessages runs a message query and scans up to capacity rows.
func queryMessages(ctx context.Context, st *sql.Stmt, capacity int, args ...any) ([]Message, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collectMessages(rows, capacity, func(r *sql.Rows) (Message, error) { return scanMessage(r) })
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanMessage reads one row selected with messageColumns.
func scanMessage(r rowScanner) (Message, error) {
	var m Message
	var attachment, metadata []byte // nil for NULL
	var createdMs int64
	err := r.Scan(&m.ID, &m.Room, &m.Seq, &m.Sender, &m.Content, &m.ReplyTo,
		&attachment, &metadata, &m.ClientMessageID, &createdMs)
	if err != nil {
		return Message{}, err
	}
	m.Attachment, m.Metadata = attachment, metadata
	m.CreatedAt = fromMillis(createdMs)
	return normalize(m), nil
}

// jsonText is how a JSON field is stored: text, or NULL when absent.
func jsonText(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}
