package chat

import (
	"slices"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/store"
	"golang.org/x/time/rate"
)

// Presence statuses a user may set.
const (
	statusOnline  = "online"
	statusOffline = "offline"
	statusAway    = "away"
	statusBusy    = "busy"
)

func validStatus(s string) bool {
	switch s {
	case statusOnline, statusOffline, statusAway, statusBusy:
		return true
	}
	return false
}

// userLimits are the token buckets of one user, shared by the user's sockets, and the
// memory of recent sends that lets idempotent re-sends through a full bucket. Each is
// made on first use: most users of an idle socket never send or type, and a bucket
// made late is the full bucket one made at connect would have refilled to.
// rate.Limiter and recentSends are safe for concurrent use.
type userLimits struct {
	cfg *limitConfig // immutable

	mu       sync.Mutex
	messages *rate.Limiter // guarded by mu; nil until the first send
	typing   *rate.Limiter // guarded by mu; nil until the first typing start
	joins    *rate.Limiter // guarded by mu; nil until the first join
	recent   *recentSends  // guarded by mu; nil until the first send is stored
}

// limitConfig sizes the buckets of new users.
type limitConfig struct {
	messages, typing, joins float64
	burst                   int
}

func (l *userLimits) messageLimiter() *rate.Limiter {
	return l.limiter(&l.messages, l.cfg.messages, l.cfg.burst)
}

func (l *userLimits) typingLimiter() *rate.Limiter {
	return l.limiter(&l.typing, l.cfg.typing, ceilBurst(l.cfg.typing))
}

func (l *userLimits) joinLimiter() *rate.Limiter {
	return l.limiter(&l.joins, l.cfg.joins, ceilBurst(l.cfg.joins))
}

// limiter returns *p, making it on first use.
func (l *userLimits) limiter(p **rate.Limiter, perSecond float64, burst int) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if *p == nil {
		*p = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	return *p
}

// recentSend returns the remembered message the user sent with clientMessageID in room.
func (l *userLimits) recentSend(room, clientMessageID string) (store.Message, bool) {
	l.mu.Lock()
	r := l.recent
	l.mu.Unlock()
	if r == nil {
		return store.Message{}, false
	}
	return r.get(room, clientMessageID)
}

// rememberSend remembers m for idempotent re-sends while the bucket is empty.
func (l *userLimits) rememberSend(m store.Message) {
	if m.ClientMessageID == "" {
		return // never remembered: no need to make the memory
	}
	l.mu.Lock()
	if l.recent == nil {
		l.recent = newRecentSends(2 * l.cfg.burst)
	}
	r := l.recent
	l.mu.Unlock()
	r.add(m)
}

// ceilBurst is the burst of a bucket that has no configured burst: one second's worth.
func ceilBurst(perSecond float64) int { return max(1, int(perSecond+0.999)) }

// userState is what is known of one user while any of their sockets is connected and
// during the grace period after the last one left.
type userState struct {
	clients  []*client // connected sockets, unordered; a slice as most users have one
	status   string
	lastSeen time.Time
	limits   userLimits  // handed to the clients by address
	grace    *graceTimer // non-nil while the offline grace period runs
}

// graceTimer is a pending offline. gen is the cluster registry's generation of the
// user's grace period on this node (empty on a single node), set after the timer by
// setGraceGen.
type graceTimer struct {
	t   stopper
	gen string // guarded by users.mu
}

// offlineFunc is told that user's grace period on this node ended with no socket of
// theirs here; rooms are those of the user's last socket, status the one they had
// here, gen the grace period's registry generation.
type offlineFunc func(user string, rooms []string, status, gen string)

// users is the presence state machine: per user, the set of connected sockets, the
// status, liveness and rate limiters.
type users struct {
	clock     clock
	grace     time.Duration
	limits    limitConfig
	onOffline offlineFunc

	mu sync.Mutex
	m  map[string]*userState // guarded by mu
}

func newUsers(clk clock, grace time.Duration, lc limitConfig, onOffline offlineFunc) *users {
	return &users{clock: clk, grace: grace, limits: lc, onOffline: onOffline, m: make(map[string]*userState)}
}

// connect adds c to its user, cancelling a pending offline, and hands c the user's
// limiters. The user's first socket makes them online; created reports it.
func (u *users) connect(c *client) (created bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.m[c.user]
	if st == nil {
		st = &userState{status: statusOnline, limits: userLimits{cfg: &u.limits}}
		u.m[c.user] = st
		created = true
	}
	if st.grace != nil {
		st.grace.t.Stop()
		st.grace = nil
	}
	if !slices.Contains(st.clients, c) {
		st.clients = append(st.clients, c)
	}
	st.lastSeen = u.clock.Now()
	c.limits = &st.limits
	return created
}

// disconnect removes c; when it was the user's last socket it arms the grace timer,
// which reports the user offline with rooms unless a socket connects first.
func (u *users) disconnect(c *client, rooms []string) (last bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.m[c.user]
	if st == nil {
		return false
	}
	i := slices.Index(st.clients, c)
	if i < 0 {
		return false
	}
	st.clients = slices.Delete(st.clients, i, i+1)
	if len(st.clients) > 0 {
		return false
	}
	g := &graceTimer{}
	st.grace = g
	g.t = u.clock.AfterFunc(u.grace, func() { u.expire(c.user, g, rooms) })
	return true
}

// expire ends the grace period g of user, if it is still the pending one.
func (u *users) expire(user string, g *graceTimer, rooms []string) {
	u.mu.Lock()
	st := u.m[user]
	if st == nil || st.grace != g || len(st.clients) > 0 {
		u.mu.Unlock()
		return
	}
	delete(u.m, user)
	gen := g.gen
	u.mu.Unlock()
	u.onOffline(user, rooms, st.status, gen)
}

// sockets returns how many sockets of user are connected here.
func (u *users) sockets(user string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	if st := u.m[user]; st != nil {
		return len(st.clients)
	}
	return 0
}

// setGraceGen records the registry generation of user's pending grace period.
func (u *users) setGraceGen(user, gen string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if st := u.m[user]; st != nil && st.grace != nil {
		st.grace.gen = gen
	}
}

// setLocalStatus sets the status of user as the cluster registry knows it, without
// anyone to tell (the user's first socket on this node).
func (u *users) setLocalStatus(user, status string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if st := u.m[user]; st != nil {
		st.status = status
	}
}

// snapshot returns the connected users (not those in their grace period) and their
// statuses.
func (u *users) snapshot() []userStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]userStatus, 0, len(u.m))
	for user, st := range u.m {
		if len(st.clients) > 0 {
			out = append(out, userStatus{user: user, status: st.status})
		}
	}
	return out
}

type userStatus struct{ user, status string }

// setStatus sets user's status and returns the user's connected sockets, whose rooms
// are to be told.
func (u *users) setStatus(user, status string) []*client {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.m[user]
	if st == nil {
		return nil
	}
	st.status = status
	return slices.Clone(st.clients)
}

// status returns user's status: "offline" for a user nobody knows.
func (u *users) status(user string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if st := u.m[user]; st != nil {
		return st.status
	}
	return statusOffline
}

// touch records that user showed a sign of life (heartbeat).
func (u *users) touch(user string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if st := u.m[user]; st != nil {
		st.lastSeen = u.clock.Now()
	}
}

// lastSeen returns when user last showed a sign of life, or the zero time.
func (u *users) lastSeen(user string) time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	if st := u.m[user]; st != nil {
		return st.lastSeen
	}
	return time.Time{}
}

// count returns the number of known users (connected or in their grace period).
func (u *users) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.m)
}

// clients returns every registered socket: the connected ones, and the departed ones
// whose leave still waits at the end of their send pipe.
func (u *users) clients() []*client {
	u.mu.Lock()
	defer u.mu.Unlock()
	var clients []*client
	for _, st := range u.m {
		clients = append(clients, st.clients...)
	}
	return clients
}

// close stops every grace timer and returns every connected socket.
func (u *users) close() []*client {
	u.mu.Lock()
	defer u.mu.Unlock()
	var clients []*client
	for _, st := range u.m {
		if st.grace != nil {
			st.grace.t.Stop()
			st.grace = nil
		}
		clients = append(clients, st.clients...)
	}
	return clients
}
