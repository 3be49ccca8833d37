package chat

import (
	"log/slog"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/socketio"
)

// client is the chat state of one connected socket. The middleware creates it and stores
// it on the socket with SetValue.
type client struct {
	id     string           // socket id; immutable
	user   string           // JWT sub; immutable
	sock   *socketio.Socket // nil in tests that run without sockets; immutable
	base   *slog.Logger     // the service's logger; immutable (see log)
	limits *userLimits      // set by users.connect before the first event

	mu         sync.Mutex
	claims     *auth.Claims // guarded by mu; replaced by refreshToken
	rooms      roomSet      // guarded by mu; the rooms the socket joined
	expiries   *expiryQueue // guarded by mu; where the token expiry is armed, or nil
	expiryN    uint64       // guarded by mu; generation of the expiry, to ignore stale ones
	expirySlot int32        // guarded by expiries.mu; 1 + index in its heap, 0 when not queued
	finished   bool         // guarded by mu; set when the socket left

	sends sendPipe // sendMessage events waiting for their commit (pipeline.go)

	// Owned by the socket's handler goroutine (socketio runs one event at a time) and,
	// for refused sendMessage events, by its send pipe, which the handler waits for.
	flood floodCounter
}

func newClient(id string, claims *auth.Claims, sock *socketio.Socket, log *slog.Logger) *client {
	return &client{
		id: id, user: claims.Subject, sock: sock, claims: claims,
		base: log,
	}
}

// log returns the socket's logger, whose records carry the socket and user.
func (c *client) log() clientLog { return clientLog{base: c.base, socket: c.id, user: c.user} }

// clientOf returns the client the middleware stored on s, or nil.
func clientOf(s *socketio.Socket) *client {
	c, _ := s.Value().(*client)
	return c
}

func (c *client) inRoom(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms.has(room)
}

func (c *client) roomCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms.len()
}

// addRoom records that the socket joined room, unless it is in max rooms already. It
// reports whether the socket was new to the room, and ok = false when it is full. A
// socket that has left adds nothing, so that a join racing the disconnect leaks no
// membership.
func (c *client) addRoom(room string, max int) (added, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished || c.rooms.has(room) {
		return false, true
	}
	if c.rooms.len() >= max {
		return false, false
	}
	c.rooms.add(room)
	return true, true
}

// removeRoom forgets room and reports whether the socket was in it.
func (c *client) removeRoom(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms.remove(room)
}

// roomList returns the socket's rooms, sorted.
func (c *client) roomList() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms.sorted()
}

func (c *client) currentClaims() *auth.Claims {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.claims
}

// armExpiry replaces the claims and (re)arms the token expiry in q, which calls its
// expired func unless re-armed or stopped first. Tokens without exp arm nothing.
func (c *client) armExpiry(q *expiryQueue, claims *auth.Claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.claims = claims
	c.stopExpiryLocked()
	if c.finished || claims.ExpiresAt.IsZero() {
		return
	}
	c.expiries = q
	q.add(c, claims.ExpiresAt, c.expiryN)
}

// stopExpiry stops the token expiry timer.
func (c *client) stopExpiry() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopExpiryLocked()
}

func (c *client) stopExpiryLocked() {
	if c.expiries != nil {
		c.expiries.remove(c)
		c.expiries = nil
	}
	c.expiryN++
}

// expiryCurrent reports whether the expiry timer of generation gen is still the armed one.
func (c *client) expiryCurrent(gen uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.finished && c.expiryN == gen
}

// isFinished reports whether the socket of this client has left.
func (c *client) isFinished() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.finished
}

// finish stops the client's timer and returns the rooms it was in; later calls return nil.
func (c *client) finish() []string {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return nil
	}
	c.finished = true
	c.stopExpiryLocked()
	c.mu.Unlock()
	return c.roomList()
}

// floodCounter counts the events refused for rate in a sliding window; a socket that
// keeps flooding past the limit is disconnected.
type floodCounter struct {
	start time.Time
	count int
}

// floodWindow is the window over which refused events are counted.
const floodWindow = 10 * time.Second

// note records one refused event at now and reports whether limit was exceeded within
// the current window.
func (f *floodCounter) note(now time.Time, limit int) bool {
	if now.Sub(f.start) > floodWindow {
		f.start, f.count = now, 0
	}
	f.count++
	return f.count > limit
}
