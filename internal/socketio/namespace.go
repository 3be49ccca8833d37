package socketio

import (
	"sync"
	"sync/atomic"
)

// Namespace is a named channel multiplexed over Engine.IO sessions.
type Namespace struct {
	name string
	srv  *Server
	// log keeps missed broadcasts and disconnected sessions; nil without recovery.
	log *recoveryLog
	// handlers is replaced whole (copy on write) so that dispatch reads it without a
	// lock; regMu serializes the writers.
	handlers atomic.Pointer[handlerTable]
	regMu    sync.Mutex

	mu      sync.RWMutex
	sockets map[string]*Socket // guarded by mu: connected sockets by id

	stats namespaceCounters
}

func newNamespace(srv *Server, name string) *Namespace {
	n := &Namespace{name: name, srv: srv, sockets: make(map[string]*Socket)}
	n.log = newRecoveryLog(srv.cfg.Recovery, name)
	n.handlers.Store(&handlerTable{events: map[string]namedHandler{}})
	return n
}

// Name returns the namespace's name, e.g. "/chat".
func (n *Namespace) Name() string { return n.name }

// Use appends a middleware; middleware runs in the order added.
func (n *Namespace) Use(mw Middleware) {
	n.update(func(t *handlerTable) { t.middleware = append(t.middleware, mw) })
}

// OnConnect sets the function called once a socket is connected (after middleware;
// after the CONNECT reply was queued).
func (n *Namespace) OnConnect(fn func(s *Socket)) {
	n.update(func(t *handlerTable) { t.onConnect = fn })
}

// OnDisconnect sets the function called once when a connected socket leaves the
// namespace. The socket is still in its rooms during the call, but no longer
// connected: emits to it fail.
func (n *Namespace) OnDisconnect(fn func(s *Socket, reason DisconnectReason)) {
	n.update(func(t *handlerTable) { t.onDisconnect = fn })
}

// On sets the handler of an event name. Register handlers before serving.
func (n *Namespace) On(event string, h EventHandler) {
	n.update(func(t *handlerTable) { t.events[event] = namedHandler{name: event, h: h} })
}

// OnAny sets the handler of events that have no handler of their own.
func (n *Namespace) OnAny(h EventHandler) {
	n.update(func(t *handlerTable) { t.any = h })
}

// update replaces the handler table with a modified copy.
func (n *Namespace) update(fn func(t *handlerTable)) {
	n.regMu.Lock()
	defer n.regMu.Unlock()
	t := n.handlers.Load().clone()
	fn(t)
	n.handlers.Store(t)
}

// To returns a broadcast to the sockets in any of rooms.
func (n *Namespace) To(rooms ...Room) BroadcastOperator {
	return BroadcastOperator{nsp: n}.To(rooms...)
}

// Except returns a broadcast to every socket except those in any of rooms.
func (n *Namespace) Except(rooms ...Room) BroadcastOperator {
	return BroadcastOperator{nsp: n}.Except(rooms...)
}

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error {
	return BroadcastOperator{nsp: n}.Emit(event, args...)
}

// Socket returns the connected socket with the given id.
func (n *Namespace) Socket(id string) (*Socket, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	s, ok := n.sockets[id]
	return s, ok
}

// SocketCount returns the number of connected sockets.
func (n *Namespace) SocketCount() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

func (n *Namespace) addSocket(s *Socket) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sockets[s.id] = s
}

func (n *Namespace) removeSocket(s *Socket) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sockets[s.id] == s {
		delete(n.sockets, s.id)
	}
}
