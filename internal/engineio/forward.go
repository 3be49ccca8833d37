package engineio

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// ForwardedHeader marks a request that a server relayed to the owner of its session.
// A server never relays a request that carries it, so that servers disagreeing about
// an owner cannot bounce a request between them.
const ForwardedHeader = "X-Chatd-Forwarded"

// SessionDirectory records which server of a cluster owns each session, so that
// servers behind a load balancer without sticky sessions can relay a request to the
// server that holds its session (see Forwarder).
type SessionDirectory interface {
	// Register records that this server owns sid. It is called for sessions opened on
	// polling, before the handshake is answered, so that the client's next request
	// finds the entry whichever server it reaches. Sessions opened on WebSocket make
	// no further request and are not registered.
	Register(sid string)
	// Unregister forgets sid. It is called for every session that ends, registered
	// or not, with the server's lock held: it must not block.
	Unregister(sid string)
	// Owner returns the base URL of the server that owns sid, or nil when no other
	// server is known to. The URL is only read.
	Owner(ctx context.Context, sid string) *url.URL
}

// ForwardStats are a Forwarder's counters since it was created.
type ForwardStats struct {
	Forwarded uint64 // requests (polls, posts, upgrades) relayed to another server
	Failed    uint64 // relays that failed before the owner answered: answered 400 "Session ID unknown"
}

// Forwarder relays requests for sessions that a Server does not know to the server
// that owns them, found in a SessionDirectory. Set it as Config.Forward; one
// Forwarder serves one Server.
//
// A relayed request keeps its Host (the owner's same-origin check compares it with
// the Origin), gains X-Forwarded-For/-Host/-Proto and ForwardedHeader. When the owner
// cannot be reached the client gets engine.io's 400 "Session ID unknown", as from a
// server that lost the session, and reconnects.
type Forwarder struct {
	dir    SessionDirectory
	tr     *http.Transport
	log    *slog.Logger
	errLog *log.Logger // ReverseProxy's own complaints, at debug level
	bufs   copyBuffers

	// done is cancelled by Server.Shutdown: relayed polls and WebSockets end, so that
	// the HTTP server's shutdown does not wait for polls parked on other servers (up
	// to a ping interval). The owner then closes those sessions, as it closes any
	// whose poll was cut, and their clients reconnect, like this server's own.
	done context.Context
	stop context.CancelFunc

	forwarded atomic.Uint64
	failed    atomic.Uint64
}

const (
	// forwardDialTimeout bounds connecting to an owner: a dead owner ends the
	// client's session within it.
	forwardDialTimeout = 2 * time.Second
	// forwardIdlePerHost is how many idle connections to one owner are kept: every
	// polling client relayed to it holds one during its parked GET.
	forwardIdlePerHost = 256
)

// NewForwarder returns a Forwarder that finds owners in dir. logger nil means
// slog.Default().
func NewForwarder(dir SessionDirectory, logger *slog.Logger) *Forwarder {
	if logger == nil {
		logger = slog.Default()
	}
	f := &Forwarder{
		dir: dir,
		tr: &http.Transport{
			// No Proxy: traffic between servers never goes through HTTP_PROXY.
			DialContext:         (&net.Dialer{Timeout: forwardDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: forwardIdlePerHost,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: forwardDialTimeout,
		},
		log:    logger,
		errLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	f.done, f.stop = context.WithCancel(context.Background())
	return f
}

// Stats returns the forwarder's counters.
func (f *Forwarder) Stats() ForwardStats {
	return ForwardStats{Forwarded: f.forwarded.Load(), Failed: f.failed.Load()}
}

// shutdown ends the relays in flight and closes idle connections to owners.
func (f *Forwarder) shutdown() {
	f.stop()
	f.tr.CloseIdleConnections()
}

// relay serves r on owner and reports the outcome in the counters.
func (f *Forwarder) relay(w http.ResponseWriter, r *http.Request, owner *url.URL) {
	f.forwarded.Add(1)
	// The owner sends its own CORS headers; two Access-Control-Allow-Origin make
	// browsers refuse the response.
	h := w.Header()
	h.Del("Access-Control-Allow-Origin")
	h.Del("Access-Control-Allow-Credentials")
	h.Del("Vary")
	out := r
	if r.Method == http.MethodGet {
		// Polls and upgrades may last: they end with the server. POSTs are short, and
		// cutting one could lose the packets it carries.
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(f.done, cancel)()
		out = r.WithContext(ctx)
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(owner)
			pr.Out.Host = pr.In.Host
			// Keep the load balancer's client address ahead of the one seen here.
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			pr.SetXForwarded()
			pr.Out.Header.Set(ForwardedHeader, "1")
		},
		Transport:    f.tr,
		BufferPool:   &f.bufs,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) { f.fail(w, r, err) },
		ErrorLog:     f.errLog,
	}
	p.ServeHTTP(w, out)
}

// copyBuffers is a pool of the buffers ReverseProxy copies bodies through, which
// it would otherwise allocate (32 KB) for every relayed request.
type copyBuffers struct{ p sync.Pool }

const copyBufferSize = 32 << 10

func (c *copyBuffers) Get() []byte {
	if b, ok := c.p.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, copyBufferSize)
}

func (c *copyBuffers) Put(b []byte) {
	if cap(b) == copyBufferSize {
		c.p.Put(&b)
	}
}

// fail answers the client's request r, whose relay failed before the owner answered:
// the session is lost (the owner is unreachable, or this server cut the relay while
// shutting down), and 400 "Session ID unknown" makes the client reconnect.
func (f *Forwarder) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; nobody reads an answer
	}
	if f.done.Err() == nil {
		f.failed.Add(1)
		f.log.Debug("engineio: forwarding to the session's owner failed", "err", err)
	}
	writeError(w, http.StatusBadRequest, errUnknownSID)
}

// forward serves a request for sid, which this server does not know, by relaying it
// to the sid's owner. It reports false when there is none to relay to, or when the
// request was relayed already.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, sid string) bool {
	f := s.fwd
	if f == nil || r.Header.Get(ForwardedHeader) != "" {
		return false
	}
	owner := f.dir.Owner(r.Context(), sid)
	if owner == nil {
		return false
	}
	f.relay(w, r, owner)
	return true
}

// announce registers a new polling session in the directory, if there is one.
func (s *Server) announce(sid string) {
	if s.fwd != nil {
		s.fwd.dir.Register(sid)
	}
}

// withdraw unregisters an ended session from the directory, if there is one.
func (s *Server) withdraw(sid string) {
	if s.fwd != nil {
		s.fwd.dir.Unregister(sid)
	}
}
