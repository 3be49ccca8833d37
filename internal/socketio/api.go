// Package socketio implements the server side of the Socket.IO protocol, version 5, on
// top of package engineio: the packet codec (with binary attachments), namespaces and
// their middleware, acknowledgements in both directions, rooms and broadcasts, and
// connection-state recovery.
//
// In chatd's data flow it sits between the transport and the domain: it decodes the
// messages that engineio delivers into events and calls the typed handlers registered on
// a Namespace, one event at a time per socket, in arrival order; in the other direction
// it encodes each emit or broadcast exactly once and queues the same bytes on every
// receiving session.
//
// It knows nothing of chat.
package socketio

// THIS FILE IS THE AGREED PUBLIC API. Bodies marked "not implemented" are to be
// replaced by the real implementation; exported names and signatures stay (more may be
// added).

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// Config configures a Server. The zero value is valid.
type Config struct {
	// Engine configures the Engine.IO layer underneath.
	Engine engineio.Config
	// ConnectTimeout closes an Engine.IO session that has not connected to any
	// namespace within it. Zero means 45s.
	ConnectTimeout time.Duration
	// Recovery turns on connection-state recovery (Socket.IO ≥ 4.6) when non-nil.
	Recovery *Recovery
	// Adapter carries room membership and broadcasts; nil means an in-process adapter.
	Adapter Adapter
	// Logger receives diagnostics. nil means slog.Default().
	Logger *slog.Logger
}

// Recovery configures connection-state recovery.
type Recovery struct {
	// MaxDisconnection is how long the state of a disconnected socket (id, rooms,
	// missed broadcasts) is kept for it to recover. Zero means 2 minutes.
	MaxDisconnection time.Duration
	// SkipMiddlewares skips the namespace middleware when a socket recovers.
	SkipMiddlewares bool
}

// Room names a group of sockets within a namespace.
type Room string

// Errors reported to ack callbacks and returned by emits.
var (
	ErrAckTimeout   = errors.New("socketio: ack timed out")
	ErrDisconnected = errors.New("socketio: socket disconnected")
	ErrNoAck        = errors.New("socketio: event has no ack")
	ErrAcked        = errors.New("socketio: event already acknowledged")
)

// ConnectError is returned by middleware to refuse a connection with a message and
// optional data; the client sees them as err.message and err.data of connect_error.
// Any other error refuses with its Error() as the message.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }

// DisconnectReason says why a socket left its namespace, with the names the official
// client uses.
type DisconnectReason int

const (
	ReasonServerNamespaceDisconnect DisconnectReason = iota + 1 // "server namespace disconnect"
	ReasonClientNamespaceDisconnect                             // "client namespace disconnect"
	ReasonTransportClose                                        // "transport close"
	ReasonTransportError                                        // "transport error"
	ReasonPingTimeout                                           // "ping timeout"
	ReasonParseError                                            // "parse error"
	ReasonForcedClose                                           // "forced close"
	ReasonServerShuttingDown                                    // "server shutting down"
)

func (r DisconnectReason) String() string { panic("not implemented") }

// Payload is a list of already-encoded event arguments together with the binary
// attachments their {"_placeholder":true,"num":N} objects refer to. Emitting a Payload
// sends exactly these bytes (key order and all).
type Payload struct {
	Args        []json.RawMessage
	Attachments [][]byte
}

// Event is one event received from a client.
type Event struct {
	Name string
	// Payload holds the arguments after the event name, verbatim; binary arguments are
	// placeholders referring to Payload.Attachments.
	Payload
	// unexported: ack id, socket
}

// Bind decodes the first len(dst) arguments into dst, in order; a missing argument
// leaves its destination untouched.
func (e *Event) Bind(dst ...any) error { panic("not implemented") }

// WantsAck reports whether the client asked for an acknowledgement.
func (e *Event) WantsAck() bool { panic("not implemented") }

// Ack answers the client's acknowledgement with args (encoded like Socket.Emit's).
// It returns ErrNoAck if none was asked and ErrAcked if already answered.
func (e *Event) Ack(args ...any) error { panic("not implemented") }

// AckPayload is Ack with pre-encoded arguments.
func (e *Event) AckPayload(p Payload) error { panic("not implemented") }

// EventHandler handles one event of one socket. Handlers of one socket run one at a
// time, in the order the events arrived.
type EventHandler func(s *Socket, e *Event)

// Middleware runs when a client connects to a namespace, before the socket counts as
// connected. It may read s.Handshake() and s.Auth() and store state with s.SetValue.
// A non-nil error refuses the connection (see ConnectError).
type Middleware func(s *Socket) error

// AckCallback receives the client's answer to EmitWithAck, or ErrAckTimeout /
// ErrDisconnected.
type AckCallback func(args []json.RawMessage, err error)

// Server is a Socket.IO server; it is an http.Handler to mount at the Socket.IO path.
type Server struct {
	// unexported fields
}

// NewServer returns a server with no namespaces: a client connecting to a namespace
// that was not created with Of gets CONNECT_ERROR "Invalid namespace".
func NewServer(cfg Config) *Server { panic("not implemented") }

// ServeHTTP serves the Engine.IO endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { panic("not implemented") }

// Of returns the namespace with the given name ("/chat"), creating it if needed.
func (s *Server) Of(name string) *Namespace { panic("not implemented") }

// Shutdown disconnects every socket ("server shutting down") and closes every session.
func (s *Server) Shutdown(ctx context.Context) error { panic("not implemented") }

// ConnectionCount returns the number of open Engine.IO sessions.
func (s *Server) ConnectionCount() int { panic("not implemented") }

// Namespace is a named channel multiplexed over Engine.IO sessions.
type Namespace struct {
	// unexported fields
}

// Name returns the namespace's name, e.g. "/chat".
func (n *Namespace) Name() string { panic("not implemented") }

// Use appends a middleware; middleware runs in the order added.
func (n *Namespace) Use(mw Middleware) { panic("not implemented") }

// OnConnect sets the function called once a socket is connected (after middleware;
// after the CONNECT reply was queued).
func (n *Namespace) OnConnect(fn func(s *Socket)) { panic("not implemented") }

// OnDisconnect sets the function called once when a connected socket leaves the
// namespace. The socket is still in its rooms during the call.
func (n *Namespace) OnDisconnect(fn func(s *Socket, reason DisconnectReason)) {
	panic("not implemented")
}

// On sets the handler of an event name. Register handlers before serving.
func (n *Namespace) On(event string, h EventHandler) { panic("not implemented") }

// OnAny sets the handler of events that have no handler of their own.
func (n *Namespace) OnAny(h EventHandler) { panic("not implemented") }

// To returns a broadcast to the sockets in any of rooms.
func (n *Namespace) To(rooms ...Room) BroadcastOperator { panic("not implemented") }

// Except returns a broadcast to every socket except those in any of rooms.
func (n *Namespace) Except(rooms ...Room) BroadcastOperator { panic("not implemented") }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error { panic("not implemented") }

// Socket returns the connected socket with the given id.
func (n *Namespace) Socket(id string) (*Socket, bool) { panic("not implemented") }

// SocketCount returns the number of connected sockets.
func (n *Namespace) SocketCount() int { panic("not implemented") }

// BroadcastOperator selects the receivers of a broadcast. It is a value; each method
// returns a modified copy. Emit encodes the packet once and queues the same bytes on
// every receiver; each socket receives it at most once even if it is in several of the
// target rooms.
type BroadcastOperator struct {
	// unexported fields
}

// To adds target rooms.
func (b BroadcastOperator) To(rooms ...Room) BroadcastOperator { panic("not implemented") }

// Except excludes the sockets in any of rooms.
func (b BroadcastOperator) Except(rooms ...Room) BroadcastOperator { panic("not implemented") }

// Emit sends the event to the selected sockets.
func (b BroadcastOperator) Emit(event string, args ...any) error { panic("not implemented") }

// Socket is one client's connection to one namespace. Its methods are safe for
// concurrent use.
type Socket struct {
	// unexported fields
}

// ID returns the socket id (not the Engine.IO session id).
func (s *Socket) ID() string { panic("not implemented") }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { panic("not implemented") }

// Handshake returns the HTTP request that opened the underlying Engine.IO session.
func (s *Socket) Handshake() *engineio.Handshake { panic("not implemented") }

// Auth returns the CONNECT packet's auth payload, or nil when there was none.
func (s *Socket) Auth() json.RawMessage { panic("not implemented") }

// Value returns what middleware stored with SetValue.
func (s *Socket) Value() any { panic("not implemented") }

// SetValue stores per-socket application state.
func (s *Socket) SetValue(v any) { panic("not implemented") }

// Emit sends an event to this socket. Each arg is encoded with encoding/json (HTML
// escaping off) except: json.RawMessage is sent verbatim, []byte becomes a binary
// attachment, and map[string]any / []any values are searched for []byte to send as
// attachments.
func (s *Socket) Emit(event string, args ...any) error { panic("not implemented") }

// EmitPayload sends an event with pre-encoded arguments.
func (s *Socket) EmitPayload(event string, p Payload) error { panic("not implemented") }

// EmitWithAck sends an event asking the client for an acknowledgement; cb is called
// exactly once with the client's answer, or with ErrAckTimeout after timeout, or with
// ErrDisconnected if the socket leaves first.
func (s *Socket) EmitWithAck(event string, args []any, timeout time.Duration, cb AckCallback) error {
	panic("not implemented")
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...Room) { panic("not implemented") }

// Leave removes the socket from rooms.
func (s *Socket) Leave(rooms ...Room) { panic("not implemented") }

// Rooms returns the rooms the socket is in (not including its own id).
func (s *Socket) Rooms() []Room { panic("not implemented") }

// InRoom reports whether the socket is in room.
func (s *Socket) InRoom(room Room) bool { panic("not implemented") }

// To returns a broadcast to rooms that excludes this socket.
func (s *Socket) To(rooms ...Room) BroadcastOperator { panic("not implemented") }

// Broadcast returns a broadcast to every socket of the namespace but this one.
func (s *Socket) Broadcast() BroadcastOperator { panic("not implemented") }

// Disconnect removes the socket from its namespace, telling the client ("io server
// disconnect"). With closeConn it also closes the underlying Engine.IO session.
func (s *Socket) Disconnect(closeConn bool) { panic("not implemented") }

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool { panic("not implemented") }

// Recovered reports whether the socket's state was restored by connection-state
// recovery.
func (s *Socket) Recovered() bool { panic("not implemented") }

// Adapter keeps room membership and delivers broadcasts; the in-process one is the
// default, and one that relays through a broker lets a broadcast reach sockets on
// other nodes. (Its methods are defined by the implementation of this package.)
type Adapter interface {
	// to be defined by the implementer of this package
}
