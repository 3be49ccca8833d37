// Package engineio implements the server side of the Engine.IO protocol, version 4:
// the handshake, the WebSocket and HTTP long-polling transports, the polling→websocket
// upgrade, heartbeats and payload limits.
//
// It is the bottom layer of chatd's data flow. Bytes arrive from the network here, are
// split into Engine.IO packets, and each MESSAGE packet is handed, in arrival order, to
// the Receiver of its session (in chatd: the socketio package). In the other direction,
// Session.Send queues already-encoded messages on a bounded per-session queue, written
// at once when the socket can take them without blocking, else by one writer that
// drains the queue in batches; a client that stops reading fills its queue and is
// disconnected instead of growing the server's memory. Session.Congested and
// WaitUncongested let a sender that can wait slow down before that happens.
//
// On Linux an idle WebSocket holds no goroutine: its connection waits in an epoll set
// (poller.go) until bytes arrive, and a pooled reader then handles them.
//
// The package knows nothing of Socket.IO: a message is an opaque text or binary payload.
package engineio

// This file holds the agreed public types; Server lives in server.go and Session in
// session.go.

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Config configures a Server. The zero value is valid: every zero field means the
// default documented on it.
type Config struct {
	// PingInterval is how often the server sends a PING. Zero means 25s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for the PONG that answers a PING before
	// it closes the session with CloseReasonPingTimeout. Zero means 20s.
	PingTimeout time.Duration
	// MaxPayload is the largest accepted message (WebSocket) or POST body (polling),
	// in bytes; it is announced in the handshake. Zero means 1_000_000.
	MaxPayload int
	// UpgradeTimeout bounds the polling→websocket upgrade. Zero means 10s.
	UpgradeTimeout time.Duration
	// SendQueue is the most messages one session may have queued for writing; a Send
	// that would exceed it closes the session with CloseReasonSlowConsumer. Zero means 1024.
	SendQueue int
	// WriteTimeout bounds one write to the network. Zero means 10s.
	WriteTimeout time.Duration
	// Transports lists the transports accepted; nil means both "polling" and "websocket".
	Transports []string
	// AllowOrigin reports whether a request carrying an Origin header may proceed: it
	// is applied to polling requests (CORS), to CORS preflights and to WebSocket
	// upgrades alike. Requests without an Origin header are always allowed. nil allows
	// every origin. Allowed cross-origin requests get the origin echoed in
	// Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true; refused
	// ones get 403.
	AllowOrigin func(origin string, r *http.Request) bool
	// Cookie, when non-nil, makes the handshake set a cookie holding the session id,
	// for load balancers that route by cookie.
	Cookie *Cookie
	// Logger receives diagnostics. nil means slog.Default().
	Logger *slog.Logger
	// Forward, when non-nil, relays requests for sessions this server does not know
	// to the server of the cluster that owns them; nil answers them 400 "Session ID
	// unknown".
	Forward *Forwarder
}

// Cookie describes the optional session-id cookie ("io" by default).
type Cookie struct {
	Name     string // zero means "io"
	Path     string // zero means "/"
	HTTPOnly bool
	SameSite http.SameSite
	Secure   bool
}

// Message is one Engine.IO MESSAGE packet's payload. Data of a text message is UTF-8
// text without the packet-type prefix; the package adds it on the wire. A Message given
// to Send must not be modified afterwards: the same bytes may be queued on many sessions
// at once (a broadcast is encoded once).
type Message struct {
	Data   []byte
	Binary bool
}

// Handshake is what the server kept of the HTTP request that opened a session, for
// authentication and middleware in the layers above.
type Handshake struct {
	Header     http.Header
	Query      url.Values
	RemoteAddr string
	// Secure reports whether the request came over TLS.
	Secure bool
	Time   time.Time
}

// Cookie returns the value of the named cookie of the handshake request, and whether
// it was present.
func (h *Handshake) Cookie(name string) (string, bool) {
	r := http.Request{Header: h.Header}
	c, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// CloseReason says why a session ended.
type CloseReason int

const (
	CloseReasonTransportClose CloseReason = iota + 1 // the client closed the transport or sent CLOSE
	CloseReasonTransportError                        // reading or writing the transport failed
	CloseReasonPingTimeout                           // no PONG within PingTimeout
	CloseReasonParseError                            // the client sent an invalid packet
	CloseReasonForced                                // the server called Session.Close
	CloseReasonSlowConsumer                          // the send queue overflowed
	CloseReasonServerShutdown                        // Server.Shutdown
)

// Handler serves sessions. Accept is called once per successful handshake, before any
// message of the session is delivered, and returns the Receiver of that session.
type Handler interface {
	Accept(s *Session) Receiver
}

// Receiver consumes one session's inbound traffic. Its methods are never called
// concurrently for one session, and messages arrive in the order the client sent them.
type Receiver interface {
	// OnMessage is called for every MESSAGE packet. data is only valid during the call.
	OnMessage(data []byte, binary bool)
	// OnClose is called exactly once when the session ends; no OnMessage follows it.
	OnClose(reason CloseReason)
}
