package socketio

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/chatd/chatd/internal/engineio"
)

// Socket is one client's connection to one namespace. Its methods are safe for
// concurrent use.
type Socket struct {
	// id, pid, recovered and auth are settled before the socket is connected.
	id        string
	pid       string // private session id for recovery; "" without recovery
	recovered bool
	nsp       *Namespace
	client    *client
	auth      json.RawMessage
	connected atomic.Bool

	// mu guards the fields below; it also serializes Join with leaving (see Join).
	mu      sync.Mutex
	value   any                   // guarded by mu
	acks    map[int64]*pendingAck // guarded by mu; nil until the first EmitWithAck
	nextAck int64                 // guarded by mu
}

func newSocket(n *Namespace, c *client, auth json.RawMessage) *Socket {
	return &Socket{id: newID(), nsp: n, client: c, auth: auth}
}

// ID returns the socket id (not the Engine.IO session id).
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns the HTTP request that opened the underlying Engine.IO session.
func (s *Socket) Handshake() *engineio.Handshake { return s.client.conn.Handshake() }

// Auth returns the CONNECT packet's auth payload, or nil when there was none (or it
// was released with ReleaseAuth).
func (s *Socket) Auth() json.RawMessage { return s.auth }

// ReleaseAuth drops the socket's copy of the CONNECT auth payload, after which Auth
// returns nil. Middleware that has read what it needs (say, a token) calls it so that
// a long-lived socket does not keep the payload, often a few hundred bytes, for
// nothing. Only middleware may call it: the payload is read without a lock once the
// socket is connected.
func (s *Socket) ReleaseAuth() { s.auth = nil }

// Value returns what middleware stored with SetValue.
func (s *Socket) Value() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

// SetValue stores per-socket application state.
func (s *Socket) SetValue(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = v
}

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool { return s.connected.Load() }

// Recovered reports whether the socket's state was restored by connection-state
// recovery.
func (s *Socket) Recovered() bool { return s.recovered }

// Emit sends an event to this socket. Each arg is encoded with encoding/json (HTML
// escaping off) except: json.RawMessage is sent verbatim (it must be valid JSON),
// []byte becomes a binary attachment, and map[string]any / []any values are searched
// for []byte to send as attachments. With recovery on, the event carries an offset as
// its last argument, like every broadcast.
func (s *Socket) Emit(event string, args ...any) error {
	return s.emit(event, args, nil)
}

// EmitPayload sends an event with pre-encoded arguments. The payload's slices are
// queued as they are and must not be modified afterwards.
func (s *Socket) EmitPayload(event string, p Payload) error {
	return s.emit(event, nil, &p)
}

func (s *Socket) emit(event string, args []any, p *Payload) error {
	if !s.connected.Load() {
		return ErrDisconnected
	}
	if s.nsp.log != nil {
		// As in socket.io, emits go through the log so that they can be replayed.
		return s.nsp.broadcast(BroadcastOptions{Rooms: []Room{Room(s.id)}}, event, args, p)
	}
	if isReservedEvent([]byte(event)) {
		return fmt.Errorf("emit %q: %w", event, ErrReservedEvent)
	}
	msgs, err := s.nsp.encodeEvent(event, noAck, args, p, "")
	if err != nil {
		return err
	}
	return s.send(msgs)
}

// send queues msgs on the session if the socket is connected.
func (s *Socket) send(msgs []engineio.Message) error {
	if !s.connected.Load() {
		return ErrDisconnected
	}
	if err := s.client.conn.Send(msgs...); err != nil {
		s.nsp.stats.sendErrors.Add(1)
		return fmt.Errorf("send packet: %w", err)
	}
	s.nsp.stats.eventsOut.Add(1)
	return nil
}

// Join adds the socket to rooms. It does nothing once the socket is disconnected.
func (s *Socket) Join(rooms ...Room) {
	// s.mu orders Join against the DelAll in left: a Join that saw the socket
	// connected completes before the socket leaves its rooms, so it cannot re-register
	// a departed socket with the adapter.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.connected.Load() {
		s.nsp.srv.adapter.AddAll(s, rooms...)
	}
}

// Leave removes the socket from rooms.
func (s *Socket) Leave(rooms ...Room) {
	for _, r := range rooms {
		s.nsp.srv.adapter.Del(s, r)
	}
}

// Rooms returns the rooms the socket is in (not including its own id).
func (s *Socket) Rooms() []Room { return s.nsp.srv.adapter.SocketRooms(s) }

// InRoom reports whether the socket is in room; every connected socket is in the
// room named by its id.
func (s *Socket) InRoom(room Room) bool { return s.nsp.srv.adapter.InRoom(s, room) }

// To returns a broadcast to rooms that excludes this socket.
func (s *Socket) To(rooms ...Room) BroadcastOperator {
	return s.Broadcast().To(rooms...)
}

// Broadcast returns a broadcast to every socket of the namespace but this one.
func (s *Socket) Broadcast() BroadcastOperator {
	return BroadcastOperator{nsp: s.nsp, opts: BroadcastOptions{ExceptSockets: []string{s.id}}}
}

// Disconnect removes the socket from its namespace, telling the client ("io server
// disconnect"). With closeConn it does so for every namespace of the client and also
// closes the underlying Engine.IO session.
func (s *Socket) Disconnect(closeConn bool) {
	if !closeConn {
		s.disconnect()
		return
	}
	c := s.client
	for _, x := range c.connectedSockets() {
		x.disconnect()
	}
	c.closeWith(ReasonServerNamespaceDisconnect)
}

// disconnect sends DISCONNECT and removes the socket from its namespace.
func (s *Socket) disconnect() {
	if !s.connected.CompareAndSwap(true, false) {
		return
	}
	e := s.nsp.srv.getEncoder()
	msgs := e.messages(packetDisconnect, s.nsp.name, noAck)
	s.nsp.srv.putEncoder(e)
	if err := s.client.conn.Send(msgs...); err != nil {
		s.client.logger().Debug("socketio: send disconnect", "nsp", s.nsp.name, "err", err)
	}
	s.left(ReasonServerNamespaceDisconnect)
}

// leave removes the socket from its namespace for reason, once.
func (s *Socket) leave(reason DisconnectReason) {
	if s.connected.CompareAndSwap(true, false) {
		s.left(reason)
	}
}

// left finishes a departure claimed by whoever swapped connected to false: the session
// is persisted for recovery if the reason allows it, then OnDisconnect runs while the
// socket is still in its rooms, then the socket leaves everything. Persisting first (as
// socket.io does) means that whatever OnDisconnect tells others, a "left the room" say,
// cannot reach a client that then reconnects before its session can be restored.
func (s *Socket) left(reason DisconnectReason) {
	n := s.nsp
	if n.log != nil && reason.recoverable() {
		// A restore of this session may start at once; it waits for the rest of this.
		defer n.log.persist(&persistedSession{sid: s.id, pid: s.pid, rooms: s.Rooms(), value: s.Value()})()
	}
	if fn := n.handlers.Load().onDisconnect; fn != nil {
		callDisconnectHandler(fn, s, reason)
	}
	s.mu.Lock()
	n.srv.adapter.DelAll(s)
	s.mu.Unlock()
	n.removeSocket(s)
	s.client.removeSocket(s)
	s.failAcks()
	n.stats.disconnects.Add(1)
}

func callDisconnectHandler(fn func(*Socket, DisconnectReason), s *Socket, reason DisconnectReason) {
	defer recoverHandler(s, "disconnect")
	fn(s, reason)
}
