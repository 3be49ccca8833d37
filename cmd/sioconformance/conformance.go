package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// Settings that the engine.io-protocol and socket.io-protocol suites assert.
const (
	suitePingInterval   = 300 * time.Millisecond
	suitePingTimeout    = 200 * time.Millisecond
	suiteMaxPayload     = 1_000_000
	suiteConnectTimeout = time.Second
)

// emptyAuth is what the suites expect back when a CONNECT carried no payload.
var emptyAuth = json.RawMessage(`{}`)

// newProtocolSuiteProgram serves both protocol suites on one listener: the Engine.IO echo
// server at /engine.io/ and the Socket.IO server at /socket.io/. CORS is left at the
// packages' default, which allows any origin.
func newProtocolSuiteProgram(addr string, log *slog.Logger) program {
	eng := engineio.Config{
		PingInterval: suitePingInterval,
		PingTimeout:  suitePingTimeout,
		MaxPayload:   suiteMaxPayload,
		Logger:       log.With("server", "engine.io"),
	}
	eio := engineio.NewServer(eng, echoHandler{log: log.With("server", "engine.io")})

	sioLog := log.With("server", "socket.io")
	eng.Logger = sioLog
	sio := socketio.NewServer(socketio.Config{
		Engine:         eng,
		ConnectTimeout: suiteConnectTimeout,
		Logger:         sioLog,
	})
	registerConformance(sio, sioLog)

	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eio)
	mux.Handle("/socket.io/", sio)
	return program{
		name:    "protocol-suites",
		addr:    addr,
		handler: mux,
		shutdown: func(ctx context.Context) error {
			return errors.Join(eio.Shutdown(ctx), sio.Shutdown(ctx))
		},
	}
}

// conformance holds the handlers of the socket.io-protocol suite's namespaces.
type conformance struct {
	log *slog.Logger
}

// registerConformance sets up the namespaces of the socket.io-protocol suite; any other
// namespace is refused by the socketio package with "Invalid namespace".
func registerConformance(sio *socketio.Server, log *slog.Logger) {
	c := conformance{log: log}
	root := sio.Of("/")
	root.OnConnect(c.emitAuth)
	root.On("message", c.echoMessage)
	root.On("message-with-ack", c.ackMessage)

	sio.Of("/custom").OnConnect(c.emitAuth)
}

// emitAuth sends the CONNECT auth payload back, byte for byte: the suite compares frames
// as strings.
func (c conformance) emitAuth(s *socketio.Socket) {
	auth := s.Auth()
	if auth == nil {
		auth = emptyAuth
	}
	emitPayload(c.log, s, "auth", socketio.Payload{Args: []json.RawMessage{auth}})
}

// echoMessage emits "message-back" with exactly the arguments received, attachments included.
func (c conformance) echoMessage(s *socketio.Socket, e *socketio.Event) {
	emitPayload(c.log, s, "message-back", e.Payload)
}

// ackMessage acknowledges with exactly the arguments received, attachments included.
func (c conformance) ackMessage(s *socketio.Socket, e *socketio.Event) {
	if err := e.AckPayload(e.Payload); err != nil {
		c.log.Debug("ack message-with-ack", "socket", s.ID(), "err", err)
	}
}
