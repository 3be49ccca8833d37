package chat

import (
	"sync"

	"github.com/chatd/chatd/internal/store"
)

// recentSends remembers a user's latest messages that carried a clientMessageId. The
// store answers idempotent re-sends authoritatively, but only through Append; while
// the user is rate limited Append must not run, and this memory lets the re-send of a
// recent message still get its original receipt — the case of a client resending its
// unacknowledged burst after a reconnect. It lives as long as the user's rate limiters.
type recentSends struct {
	size int // entries kept; immutable

	mu    sync.Mutex
	byKey map[recentKey]store.Message // guarded by mu; nil until the first add
	ring  []recentKey                 // guarded by mu; insertion order, for eviction
	next  int                         // guarded by mu; ring slot to overwrite next
}

type recentKey struct{ room, clientMessageID string }

func newRecentSends(size int) *recentSends { return &recentSends{size: max(size, 1)} }

// add remembers m, evicting the oldest entry when full. Messages without a client id
// are not remembered.
func (r *recentSends) add(m store.Message) {
	if m.ClientMessageID == "" {
		return
	}
	k := recentKey{m.Room, m.ClientMessageID}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKey == nil {
		r.byKey = make(map[recentKey]store.Message, r.size)
	}
	if _, ok := r.byKey[k]; ok {
		return
	}
	if len(r.ring) < r.size {
		r.ring = append(r.ring, k)
	} else {
		delete(r.byKey, r.ring[r.next])
		r.ring[r.next] = k
		r.next = (r.next + 1) % r.size
	}
	r.byKey[k] = m
}

// get returns the remembered message sent with clientMessageID in room.
func (r *recentSends) get(room, clientMessageID string) (store.Message, bool) {
	if clientMessageID == "" {
		return store.Message{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byKey[recentKey{room, clientMessageID}]
	return m, ok
}
