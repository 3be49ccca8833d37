package chat

import (
	"log/slog"
	"sort"
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
	log    *slog.Logger     // carries socket and user attributes; immutable
	limits *userLimits      // set by users.connect before the first event

	mu       sync.Mutex
	claims   *auth.Claims        // guarded by mu; replaced by refreshToken
	rooms    map[string]struct{} // guarded by mu; the rooms the socket joined
	expiry   stopper             // guarded by mu; the token expiry timer, or nil
	expiryN  uint64              // guarded by mu; generation of expiry, to ignore stale timers
	finished bool                // guarded by mu; set when the socket left

	sends sendPipe // sendMessage events waiting for their commit (pipeline.go)

	// Owned by the socket's handler goroutine (socketio runs one event at a time) and,
	// for refused sendMessage events, by its send pipe, which the handler waits for.
	flood floodCounter
}

func newClient(id string, claims *auth.Claims, sock *socketio.Socket, log *slog.Logger) *client {
	return &client{
		id: id, user: claims.Subject, sock: sock, claims: claims,
		log:   log.With("socket", id, "user", claims.Subject),
		rooms: make(map[string]struct{}),
	}
}

// clientOf returns the client the middleware stored on s, or nil.
func clientOf(s *socketio.Socket) *client {
	c, _ := s.Value().(*client)
	return c
}

func (c *client) inRoom(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.rooms[room]
	return ok
}

func (c *client) roomCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.rooms)
}

// addRoom records that the socket joined room, unless it is in max rooms already. It
// reports whether the socket was new to the room, and ok = false when it is full. A
// socket that has left adds nothing, so that a join racing the disconnect leaks no
// membership.
func (c *client) addRoom(room string, max int) (added, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, in := c.rooms[room]; in || c.finished {
		return false, true
	}
	if len(c.rooms) >= max {
		return false, false
	}
	c.rooms[room] = struct{}{}
	return true, true
}

// removeRoom forgets room and reports whether the socket was in it.
func (c *client) removeRoom(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, in := c.rooms[room]
	delete(c.rooms, room)
	return in
}

// roomList returns the socket's rooms, sorted.
func (c *client) roomList() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	rooms := make([]string, 0, len(c.rooms))
	for r := range c.rooms {
		rooms = append(rooms, r)
	}
	sort.Strings(rooms)
	return rooms
}

func (c *client) currentClaims() *auth.Claims {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.claims
}

// armExpiry replaces the claims and (re)arms the token expiry timer, which calls
// expired unless re-armed or stopped first. Tokens without exp arm nothing.
func (c *client) armExpiry(clk clock, claims *auth.Claims, expired func(*client)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.claims = claims
	c.stopExpiryLocked()
	if c.finished || claims.ExpiresAt.IsZero() {
		return
	}
	gen := c.expiryN
	c.expiry = clk.AfterFunc(max(claims.ExpiresAt.Sub(clk.Now()), 0), func() {
		if c.expiryCurrent(gen) {
			expired(c)
		}
	})
}

// stopExpiry stops the token expiry timer.
func (c *client) stopExpiry() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopExpiryLocked()
}

func (c *client) stopExpiryLocked() {
	if c.expiry != nil {
		c.expiry.Stop()
		c.expiry = nil
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
