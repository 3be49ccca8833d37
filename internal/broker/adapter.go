package broker

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// defaultDialTimeout bounds a connection attempt unless the URL sets dial_timeout.
const defaultDialTimeout = 2 * time.Second

// RedisAdapter is a socketio.Adapter that keeps membership and delivers locally
// through a MemoryAdapter and relays every broadcast to the other nodes over Redis.
// Membership changes and broadcasts never wait for Redis: subscriptions and publishes
// happen on the adapter's own goroutines.
type RedisAdapter struct {
	// mem to prefix are set by NewRedisAdapter and never change.
	mem    *socketio.MemoryAdapter
	log    *slog.Logger
	client *redis.Client
	pubsub *redis.PubSub
	node   string
	prefix string

	mu   sync.RWMutex         // guards nsps (not the nspState contents)
	nsps map[string]*nspState // guarded by mu
	subs subscriptions        // the wanted subscriptions, for subscribeLoop
	pubq chan publishJob      // broadcasts waiting for publishLoop
	bufs sync.Pool            // *[]byte envelope buffers
	live atomic.Bool          // set by receiveLoop: the pub/sub connection is subscribed
	stat counters             // atomic
	ctx  context.Context      // done when Close starts
	stop context.CancelFunc   // cancels ctx
	wg   sync.WaitGroup       // the adapter's goroutines
	once sync.Once            // runs Close once

	rec atomic.Pointer[RedisRecovery] // set once a RedisRecovery logs through pubq
}

// nspState is the adapter's view of one namespace: how many local sockets are in each
// room, which decides the room subscriptions, and the ids of its local sockets.
// Membership changes of the namespace hold mu across the MemoryAdapter call so that
// the counts always match the MemoryAdapter.
type nspState struct {
	mu    sync.RWMutex
	refs  map[socketio.Room]int // guarded by mu: local sockets per joined room
	local map[string]struct{}   // guarded by mu: ids of the registered local sockets
	all   string                // the namespace channel, immutable
}

var _ socketio.Adapter = (*RedisAdapter)(nil)

// NewRedisAdapter connects to the Redis at rawURL (redis:// or rediss://) and starts
// relaying. It returns an error only for a bad URL: when Redis is unreachable the
// adapter starts anyway, delivers locally, reports not ready and keeps reconnecting.
// ctx bounds the first connection attempt. logger nil discards logs; opts nil means
// defaults.
func NewRedisAdapter(ctx context.Context, rawURL string, logger *slog.Logger, opts *Options) (*RedisAdapter, error) {
	ropts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	node := rand.Text()
	if opts != nil && opts.NodeID != "" {
		node = opts.NodeID
	}
	if !hasQueryParam(rawURL, "dial_timeout") {
		ropts.DialTimeout = defaultDialTimeout
	}
	ropts.ClientName = "chatd-" + node
	a := &RedisAdapter{
		mem:    socketio.NewMemoryAdapter(),
		log:    logger.With("component", "broker", "node", node),
		client: redis.NewClient(ropts),
		node:   node,
		prefix: opts.prefix(),
		nsps:   make(map[string]*nspState),
		pubq:   make(chan publishJob, opts.publishQueue()),
	}
	a.bufs.New = func() any { return new([]byte) }
	a.subs.init()
	a.ctx, a.stop = context.WithCancel(context.Background())
	a.pubsub = a.client.Subscribe(ctx, a.nodeChannel())
	if err := a.client.Ping(ctx).Err(); err != nil {
		a.log.Warn("redis unreachable, relaying resumes when it answers", "err", err)
	}
	a.wg.Add(3)
	go a.receiveLoop()
	go a.publishLoop()
	go a.subscribeLoop()
	return a, nil
}

// NodeID returns the id this node publishes under.
func (a *RedisAdapter) NodeID() string { return a.node }

// Stats returns the adapter's counters.
func (a *RedisAdapter) Stats() Stats { return a.stat.snapshot() }

// nodeChannel is this node's own channel: subscribing to it keeps the pub/sub
// connection open, and so its health known, before any socket joins.
func (a *RedisAdapter) nodeChannel() string { return a.prefix + ":node:" + a.node }

// roomChannel is the channel of room in namespace nsp.
func (a *RedisAdapter) roomChannel(nsp string, room socketio.Room) string {
	return a.prefix + ":" + nsp + ":r:" + string(room)
}

// namespace returns the state of nsp, creating it (and subscribing to its namespace
// channel, for as long as the adapter lives) on first use.
func (a *RedisAdapter) namespace(nsp string) *nspState {
	if ns := a.lookup(nsp); ns != nil {
		return ns
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ns := a.nsps[nsp]
	if ns == nil {
		ns = &nspState{
			refs:  make(map[socketio.Room]int),
			local: make(map[string]struct{}),
			all:   a.namespaceChannel(nsp),
		}
		a.nsps[nsp] = ns
		a.subs.set(ns.all, true)
	}
	return ns
}

// lookup returns the state of nsp, or nil if no local socket ever registered in it.
func (a *RedisAdapter) lookup(nsp string) *nspState {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.nsps[nsp]
}

// AddAll adds the socket to rooms, subscribing to the rooms it is the first local
// member of.
func (a *RedisAdapter) AddAll(s *socketio.Socket, rooms ...socketio.Room) {
	nsp := s.Namespace().Name()
	ns := a.namespace(nsp)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.local[s.ID()] = struct{}{}
	for i, r := range rooms {
		if r == socketio.Room(s.ID()) || slices.Contains(rooms[:i], r) || a.mem.InRoom(s, r) {
			continue
		}
		if ns.refs[r]++; ns.refs[r] == 1 {
			a.subs.set(a.roomChannel(nsp, r), true)
		}
	}
	a.mem.AddAll(s, rooms...)
}

// Del removes the socket from room, unsubscribing when it was the last local member.
func (a *RedisAdapter) Del(s *socketio.Socket, room socketio.Room) {
	nsp := s.Namespace().Name()
	ns := a.lookup(nsp)
	if ns == nil {
		return
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if room == socketio.Room(s.ID()) || !a.mem.InRoom(s, room) {
		return
	}
	a.mem.Del(s, room)
	a.leaveLocked(ns, nsp, room)
}

// DelAll removes the socket from every room.
func (a *RedisAdapter) DelAll(s *socketio.Socket) {
	nsp := s.Namespace().Name()
	ns := a.lookup(nsp)
	if ns == nil {
		return
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if !a.mem.InRoom(s, socketio.Room(s.ID())) {
		return // not registered, or replaced by a newer socket of the same id
	}
	rooms := a.mem.SocketRooms(s)
	a.mem.DelAll(s)
	delete(ns.local, s.ID())
	for _, r := range rooms {
		a.leaveLocked(ns, nsp, r)
	}
}

// leaveLocked counts one local socket out of room. ns.mu must be held.
func (a *RedisAdapter) leaveLocked(ns *nspState, nsp string, room socketio.Room) {
	if ns.refs[room]--; ns.refs[room] <= 0 {
		delete(ns.refs, room)
		a.subs.set(a.roomChannel(nsp, room), false)
	}
}

// SocketRooms returns the rooms of the socket, without its own id.
func (a *RedisAdapter) SocketRooms(s *socketio.Socket) []socketio.Room { return a.mem.SocketRooms(s) }

// InRoom reports whether the socket is in room.
func (a *RedisAdapter) InRoom(s *socketio.Socket, room socketio.Room) bool {
	return a.mem.InRoom(s, room)
}

// Sockets returns the local sockets of nsp in any of rooms, or all of them.
func (a *RedisAdapter) Sockets(nsp string, rooms []socketio.Room) []*socketio.Socket {
	return a.mem.Sockets(nsp, rooms)
}

// Broadcast delivers to the local sockets at once and queues the broadcast for the
// other nodes, unless it only targets local sockets by id. It returns the number of
// local sockets reached; failing to relay is counted in Stats, not returned, because
// the local delivery happened.
func (a *RedisAdapter) Broadcast(nsp string, msgs []engineio.Message, opts socketio.BroadcastOptions) (int, error) {
	n, err := a.mem.Broadcast(nsp, msgs, opts)
	if a.onlyLocalSockets(nsp, opts.Rooms) {
		return n, err
	}
	a.publish(nsp, msgs, opts)
	return n, err
}

// onlyLocalSockets reports whether rooms is not empty and names only local sockets
// by id, so that no other node has a receiver.
func (a *RedisAdapter) onlyLocalSockets(nsp string, rooms []socketio.Room) bool {
	if len(rooms) == 0 {
		return false
	}
	ns := a.lookup(nsp)
	if ns == nil {
		return false
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	for _, r := range rooms {
		if _, ok := ns.local[string(r)]; !ok {
			return false
		}
	}
	return true
}

// servedRooms appends to dst the rooms of rooms that have local members (and so are
// subscribed).
func (a *RedisAdapter) servedRooms(dst []socketio.Room, nsp string, rooms []socketio.Room) []socketio.Room {
	ns := a.lookup(nsp)
	if ns == nil {
		return dst
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	for _, r := range rooms {
		if ns.refs[r] > 0 {
			dst = append(dst, r)
		}
	}
	return dst
}

// hasQueryParam reports whether the URL sets the query parameter name.
func hasQueryParam(rawURL, name string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Query().Has(name)
}

// CheckURL reports whether rawURL is a Redis URL NewRedisAdapter accepts, without
// connecting.
func CheckURL(rawURL string) error {
	if _, err := redis.ParseURL(rawURL); err != nil {
		return fmt.Errorf("parse redis url: %w", err)
	}
	return nil
}
