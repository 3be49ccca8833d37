package chat

import (
	"sync"
	"time"
)

// typingKey names what others see: a user typing in a room.
type typingKey struct{ user, room string }

// typist is one socket's typing state in one room.
type typist struct {
	deadline time.Time // guarded by typing.mu; refreshed by every isTyping:true
	t        stopper   // guarded by typing.mu
}

// typing is the typing state machine. State is kept per socket and shown per user: a
// user is typing in a room while any of their sockets is, so a user typing on two
// devices is reported once, and stops when both have.
//
// A refresh only moves the deadline; the timer, when it fires early, re-arms itself for
// the rest, so refreshes allocate nothing.
type typing struct {
	clock   clock
	timeout time.Duration
	// onExpire is told that c's typing in room timed out and the user is typing there
	// no more. It is called without the lock held.
	onExpire func(c *client, room string)

	mu sync.Mutex
	m  map[typingKey]map[*client]*typist // guarded by mu
}

func newTyping(clk clock, timeout time.Duration, onExpire func(*client, string)) *typing {
	return &typing{clock: clk, timeout: timeout, onExpire: onExpire, m: make(map[typingKey]map[*client]*typist)}
}

// active reports whether c is typing in room.
func (t *typing) active(c *client, room string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.m[typingKey{c.user, room}][c]
	return ok
}

// start marks c typing in room (or refreshes it) and reports whether the user started
// typing there, i.e. whether others must be told.
func (t *typing) start(c *client, room string) (began bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := typingKey{c.user, room}
	deadline := t.clock.Now().Add(t.timeout)
	if p, ok := t.m[k][c]; ok {
		p.deadline = deadline
		return false
	}
	sockets := t.m[k]
	if sockets == nil {
		sockets = make(map[*client]*typist)
		t.m[k] = sockets
	}
	p := &typist{deadline: deadline}
	p.t = t.clock.AfterFunc(t.timeout, func() { t.fire(c, room, p) })
	sockets[c] = p
	return len(sockets) == 1
}

// stop ends c's typing in room and reports whether the user stopped typing there.
func (t *typing) stop(c *client, room string) (ended bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.removeLocked(typingKey{c.user, room}, c)
}

// stopUser ends the typing of every socket of c's user in room (the user sent a
// message) and reports whether the user was typing there.
func (t *typing) stopUser(c *client, room string) (ended bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := typingKey{c.user, room}
	for other := range t.m[k] {
		ended = t.removeLocked(k, other) || ended
	}
	return ended
}

func (t *typing) removeLocked(k typingKey, c *client) (ended bool) {
	sockets := t.m[k]
	p, ok := sockets[c]
	if !ok {
		return false
	}
	p.t.Stop()
	delete(sockets, c)
	if len(sockets) > 0 {
		return false
	}
	delete(t.m, k)
	return true
}

// fire runs when p's timer goes off: it ends the typing if the deadline has passed, or
// re-arms the timer for the time a refresh added.
func (t *typing) fire(c *client, room string, p *typist) {
	t.mu.Lock()
	k := typingKey{c.user, room}
	if t.m[k][c] != p {
		t.mu.Unlock()
		return
	}
	if left := p.deadline.Sub(t.clock.Now()); left > 0 {
		p.t = t.clock.AfterFunc(left, func() { t.fire(c, room, p) })
		t.mu.Unlock()
		return
	}
	ended := t.removeLocked(k, c)
	t.mu.Unlock()
	if ended {
		t.onExpire(c, room)
	}
}

// close stops every timer and forgets all typing.
func (t *typing) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, sockets := range t.m {
		for _, p := range sockets {
			p.t.Stop()
		}
	}
	clear(t.m)
}
