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

import (
	"errors"
	"log/slog"
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
	// MaxAttachments is the most binary attachments one packet from a client may
	// announce; a packet announcing more closes the session. Zero means 10.
	MaxAttachments int
	// Logger receives diagnostics. nil means slog.Default().
	Logger *slog.Logger
}

func (c *Config) connectTimeout() time.Duration {
	if c.ConnectTimeout > 0 {
		return c.ConnectTimeout
	}
	return 45 * time.Second
}

func (c *Config) maxAttachments() int {
	if c.MaxAttachments > 0 {
		return c.MaxAttachments
	}
	return 10
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// Recovery configures connection-state recovery.
type Recovery struct {
	// MaxDisconnection is how long the state of a disconnected socket (id, rooms,
	// missed broadcasts) is kept for it to recover. Zero means 2 minutes.
	MaxDisconnection time.Duration
	// SkipMiddlewares skips the namespace middleware when a socket recovers.
	SkipMiddlewares bool
	// Store keeps the broadcasts and sessions; nil means in process (a socket then
	// recovers only on the server it left).
	Store RecoveryStore
}

func (r *Recovery) maxDisconnection() time.Duration {
	if r.MaxDisconnection > 0 {
		return r.MaxDisconnection
	}
	return 2 * time.Minute
}

// Room names a group of sockets within a namespace.
type Room string

// Errors reported to ack callbacks and returned by emits.
var (
	ErrAckTimeout   = errors.New("socketio: ack timed out")
	ErrDisconnected = errors.New("socketio: socket disconnected")
	ErrNoAck        = errors.New("socketio: event has no ack")
	ErrAcked        = errors.New("socketio: event already acknowledged")
	// ErrReservedEvent is returned by emits of an event name that the client reserves
	// for itself (connect, connect_error, disconnect, disconnecting, newListener,
	// removeListener): the client would reject the packet and drop the connection.
	ErrReservedEvent = errors.New("socketio: reserved event name")
)

// ConnectError is returned by middleware to refuse a connection with a message and
// optional data; the client sees them as err.message and err.data of connect_error.
// Any other error refuses with its Error() as the message.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }
