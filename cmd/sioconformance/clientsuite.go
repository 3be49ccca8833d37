package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// Settings of the server that the socket.io-client package's test suite runs against
// (packages/socket.io-client/test/support/server.ts in socketio/socket.io).
const (
	clientSuitePingInterval = 2 * time.Second
	// clientSuiteHandshakeDelay delays every handshake so that the client suite can
	// test its own connection timeout.
	clientSuiteHandshakeDelay = 10 * time.Millisecond
	// clientSuiteAckTimeout bounds the server's wait for the client's answer to "ack";
	// the Node server waits forever, which a Go server should not.
	clientSuiteAckTimeout = 30 * time.Second
)

// newClientSuiteProgram serves the socket.io-client test-suite server at /socket.io/:
// ping interval 2s, connection-state recovery on (with Node's default of skipping
// middleware on recovery), every other setting at its default.
func newClientSuiteProgram(addr string, log *slog.Logger) program {
	log = log.With("server", "client-suite")
	sio := socketio.NewServer(socketio.Config{
		Engine: engineio.Config{
			PingInterval: clientSuitePingInterval,
			Logger:       log,
		},
		Recovery: &socketio.Recovery{SkipMiddlewares: true},
		Logger:   log,
	})
	registerClientSuite(sio, log)
	registerE2E(sio, log)

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", delayHandshakes(sio, clientSuiteHandshakeDelay))
	return program{name: "client-suite", addr: addr, handler: mux, shutdown: sio.Shutdown}
}

// delayHandshakes holds requests that open a session (those without a sid) for d, as
// the suite's allowRequest hook does; requests of an existing session pass at once.
func delayHandshakes(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sid") == "" {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clientSuite holds the handlers of the client test-suite server.
type clientSuite struct {
	log *slog.Logger
}

// registerClientSuite sets up the namespaces of server.ts.
func registerClientSuite(sio *socketio.Server, log *slog.Logger) {
	c := clientSuite{log: log}

	foo := sio.Of("/foo")
	foo.On("getId", c.getID)

	// Namespaces that only need to exist.
	sio.Of("/timeout_socket")
	sio.Of("/valid")
	sio.Of("/asd")

	sio.Of("/abc").OnConnect(c.emitHandshake)
	sio.Of("/no").Use(refuseCustom)

	root := sio.Of("/")
	root.Use(refuseOnFailQuery)
	c.registerRoot(root)
}

func (c clientSuite) registerRoot(root *socketio.Namespace) {
	root.On("hi", c.hi)
	root.On("echo", c.echo)
	root.On("ack", c.ack)
	root.On("getAckDate", c.getAckDate)
	root.On("getDate", c.getDate)
	root.On("getDateObj", c.getDateObj)
	root.On("getUtf8", c.getUTF8)
	root.On("false", c.sendFalse)
	root.On("getHandshake", c.getHandshake)
	root.On("getId", c.getID)
	c.registerBinary(root)
}

// refuseOnFailQuery refuses connections to "/" whose handshake query has "fail".
func refuseOnFailQuery(s *socketio.Socket) error {
	if s.Handshake().Query.Get("fail") != "" {
		return &socketio.ConnectError{Message: "Auth failed (main namespace)"}
	}
	return nil
}

// refuseCustom refuses every connection to "/no".
func refuseCustom(*socketio.Socket) error {
	return &socketio.ConnectError{Message: "Auth failed (custom namespace)"}
}
