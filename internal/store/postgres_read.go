package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// The read queries. Each is one index range scan: messages by its (room, seq) primary
// key or its (room, id) index, read_markers by its primary key.
const (
	pgGetSQL    = `SELECT ` + messageColumns + ` FROM messages WHERE room = $1 AND id = $2`
	pgAfterSQL  = `SELECT ` + messageColumns + ` FROM messages WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3`
	pgLatestSQL = `SELECT ` + messageColumns + ` FROM messages WHERE room = $1 ORDER BY seq DESC LIMIT $2`
	pgMarkerSQL = `SELECT message_id, seq FROM read_markers WHERE user_id = $1 AND room = $2`
)

func (s *pgStore) Get(ctx context.Context, room, id string) (Message, error) {
	if err := s.checkOpen(); err != nil {
		return Message{}, err
	}
	m, err := scanPGMessage(s.pool.QueryRow(ctx, pgGetSQL, room, id))
	if errors.Is(err, ErrNotFound) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, s.readErr("get message", err)
	}
	return m, nil
}

func (s *pgStore) After(ctx context.Context, room string, afterSeq int64, limit int) ([]Message, bool, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, false, err
	}
	if err := s.checkOpen(); err != nil {
		return nil, false, err
	}
	// One row beyond the page tells whether more follow, without a count query.
	msgs, err := s.queryMessages(ctx, limit+1, pgAfterSQL, room, afterSeq, limit+1)
	if err != nil {
		return nil, false, s.readErr("read messages after", err)
	}
	msgs, hasMore := trimPage(msgs, limit, false)
	return msgs, hasMore, nil
}

func (s *pgStore) Latest(ctx context.Context, room string, limit int) ([]Message, bool, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, false, err
	}
	if err := s.checkOpen(); err != nil {
		return nil, false, err
	}
	msgs, err := s.queryMessages(ctx, limit+1, pgLatestSQL, room, limit+1)
	if err != nil {
		return nil, false, s.readErr("read latest messages", err)
	}
	msgs, hasMore := trimPage(msgs, limit, true) // the query reads newest first
	return msgs, hasMore, nil
}

func (s *pgStore) ReadMarker(ctx context.Context, user, room string) (string, int64, error) {
	if err := s.checkOpen(); err != nil {
		return "", 0, err
	}
	var id string
	var seq int64
	err := s.pool.QueryRow(ctx, pgMarkerSQL, user, room).Scan(&id, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, s.readErr("read marker", err)
	}
	return id, seq, nil
}

// queryMessages runs a message query and scans up to capacity rows.
func (s *pgStore) queryMessages(ctx context.Context, capacity int, query string, args ...any) ([]Message, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collectMessages(rows, capacity, func(r pgx.Rows) (Message, error) { return scanPGMessage(r) })
}
