package store

import (
	"bytes"
	"context"
	"sync"
)

// memory is the in-memory Store: the same contract as SQLite, kept in maps under one
// mutex and lost when the process exits. It serves tests and ephemeral runs.
type memory struct {
	mu      sync.RWMutex
	closed  bool                    // guarded by mu
	rooms   map[string]*memoryRoom  // guarded by mu
	markers map[markerKey]readPoint // guarded by mu
}

// memoryRoom holds one room's messages; msgs[i].Seq == i+1, which makes seq lookups
// plain slice indexing.
type memoryRoom struct {
	msgs     []Message
	byID     map[string]int64    // message id → seq
	byClient map[clientKey]int64 // (sender, client message id) → seq
}

type clientKey struct{ sender, clientMessageID string }

type markerKey struct{ user, room string }

// readPoint is a read marker: the newest message a user read in a room.
type readPoint struct {
	id  string
	seq int64
}

func newMemory() *memory {
	return &memory{
		rooms:   make(map[string]*memoryRoom),
		markers: make(map[markerKey]readPoint),
	}
}

func (s *memory) Append(ctx context.Context, m Message) (Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Message{}, false, ErrClosed
	}
	r := s.roomLocked(m.Room)
	if m.ClientMessageID != "" {
		if seq, ok := r.byClient[clientKey{m.Sender, m.ClientMessageID}]; ok {
			return cloneMessage(r.msgs[seq-1]), true, nil
		}
	}
	m = cloneMessage(normalize(m))
	m.Seq = int64(len(r.msgs)) + 1
	m.ID = newMessageID(m.Seq)
	m.CreatedAt = now()
	r.msgs = append(r.msgs, m)
	r.byID[m.ID] = m.Seq
	if m.ClientMessageID != "" {
		r.byClient[clientKey{m.Sender, m.ClientMessageID}] = m.Seq
	}
	return cloneMessage(m), false, nil
}

// roomLocked returns the room, creating it on first use.
func (s *memory) roomLocked(room string) *memoryRoom {
	r, ok := s.rooms[room]
	if !ok {
		r = &memoryRoom{byID: make(map[string]int64), byClient: make(map[clientKey]int64)}
		s.rooms[room] = r
	}
	return r
}

func (s *memory) Get(ctx context.Context, room, id string) (Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Message{}, ErrClosed
	}
	r, ok := s.rooms[room]
	if !ok {
		return Message{}, ErrNotFound
	}
	seq, ok := r.byID[id]
	if !ok {
		return Message{}, ErrNotFound
	}
	return cloneMessage(r.msgs[seq-1]), nil
}

func (s *memory) After(ctx context.Context, room string, afterSeq int64, limit int) ([]Message, bool, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, false, ErrClosed
	}
	r, ok := s.rooms[room]
	if !ok {
		return nil, false, nil
	}
	n := int64(len(r.msgs))
	start := min(max(afterSeq, 0), n) // seq afterSeq+1 sits at index afterSeq
	end := min(start+int64(limit), n)
	return cloneMessages(r.msgs[start:end]), end < n, nil
}

func (s *memory) Latest(ctx context.Context, room string, limit int) ([]Message, bool, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, false, ErrClosed
	}
	r, ok := s.rooms[room]
	if !ok {
		return nil, false, nil
	}
	start := max(len(r.msgs)-limit, 0)
	return cloneMessages(r.msgs[start:]), start > 0, nil
}

func (s *memory) MarkRead(ctx context.Context, user, room, id string, seq int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, ErrClosed
	}
	k := markerKey{user, room}
	if seq < 1 || s.markers[k].seq >= seq {
		return false, nil
	}
	s.markers[k] = readPoint{id: id, seq: seq}
	return true, nil
}

func (s *memory) ReadMarker(ctx context.Context, user, room string) (string, int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return "", 0, ErrClosed
	}
	p := s.markers[markerKey{user, room}]
	return p.id, p.seq, nil
}

func (s *memory) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

func (s *memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	s.rooms, s.markers = nil, nil
	return nil
}

// cloneMessage copies the JSON fields, so neither the caller's buffers nor the stored
// message can be changed through the other.
func cloneMessage(m Message) Message {
	m.Attachment = bytes.Clone(m.Attachment)
	m.Metadata = bytes.Clone(m.Metadata)
	return m
}

func cloneMessages(msgs []Message) []Message {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		out[i] = cloneMessage(m)
	}
	return out
}
