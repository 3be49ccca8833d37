package engineio

import (
	"context"
	"net/http"
	"strings"
	"sync"
)

// Server is an http.Handler that serves Engine.IO at whatever path it is mounted on.
type Server struct {
	cfg     settings
	handler Handler
	poller  *poller // waits for idle WebSocket connections (nil: not Linux)
	stats   counters
	fwd     *Forwarder // nil: no cluster to relay unknown sessions to

	mu       sync.Mutex
	sessions map[string]*Session // guarded by mu
	shutdown bool                // guarded by mu; no new handshakes once set
	drained  chan struct{}       // guarded by mu; closed when shutdown and sessions is empty
}

// NewServer returns a server that hands its sessions to h.
func NewServer(cfg Config, h Handler) *Server {
	s := &Server{
		cfg:      resolve(cfg),
		handler:  h,
		fwd:      cfg.Forward,
		sessions: make(map[string]*Session),
	}
	s.poller = newPoller()
	return s
}

// ServeHTTP serves one Engine.IO request: handshake, polling GET/POST, or WebSocket.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.checkOrigin(w, r) {
		writeError(w, http.StatusForbidden, errForbidden)
		return
	}
	if r.Method == http.MethodOptions {
		servePreflight(w, r)
		return
	}
	q := r.URL.Query()
	transport := q.Get("transport")
	if !s.cfg.allows(transport) {
		writeError(w, http.StatusBadRequest, errTransportUnknown)
		return
	}
	if q.Get("EIO") != "4" {
		writeError(w, http.StatusBadRequest, errUnsupportedProtocol)
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		s.serveHandshake(w, r, transport)
		return
	}
	sess := s.lookup(sid)
	switch {
	case sess == nil:
		if !s.forward(w, r, sid) {
			writeError(w, http.StatusBadRequest, errUnknownSID)
		}
	case transport == transportWebSocket:
		s.serveUpgrade(w, r, sess)
	default:
		sess.servePolling(w, r)
	}
}

// serveHandshake opens a new session.
func (s *Server) serveHandshake(w http.ResponseWriter, r *http.Request, transport string) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusBadRequest, errBadHandshakeMethod)
		return
	}
	if s.isShutdown() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if transport == transportWebSocket {
		s.serveWebSocketHandshake(w, r)
		return
	}
	s.servePollingHandshake(w, r)
}

// Shutdown closes every session with CloseReasonServerShutdown and refuses new
// handshakes. It returns when all sessions are closed or ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.shutdown {
		s.shutdown = true
		s.drained = make(chan struct{})
		s.closeDrainedLocked()
	}
	drained := s.drained
	open := make([]*Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		open = append(open, sess)
	}
	s.mu.Unlock()
	if s.fwd != nil {
		s.fwd.shutdown()
	}

	closeAll(open)
	select {
	case <-drained:
		return nil
	default:
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdownClosers is how many sessions Shutdown closes at once. A close runs the
// Receiver's OnClose, which may wait on the network (a cluster registry, a recovery
// store): one after the other, thousands of them would outlast any drain timeout.
const shutdownClosers = 32

// closeAll closes sessions, shutdownClosers at a time.
func closeAll(sessions []*Session) {
	var wg sync.WaitGroup
	next := make(chan *Session)
	for range min(shutdownClosers, len(sessions)) {
		wg.Go(func() {
			for sess := range next {
				sess.closeWith(CloseReasonServerShutdown)
				sess.endLinger()
			}
		})
	}
	for _, sess := range sessions {
		next <- sess
	}
	close(next)
	wg.Wait()
}

// SessionCount returns the number of open sessions.
func (s *Server) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Server) isShutdown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

func (s *Server) lookup(sid string) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[sid]
}

// register adds a new session; it reports false when the server is shutting down.
func (s *Server) register(sess *Session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.sessions[sess.id] = sess
	s.stats.opened.Add(1)
	return true
}

// remove forgets a closed session, so that its sid is unknown from now on.
func (s *Server) remove(sess *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[sess.id] == sess {
		delete(s.sessions, sess.id)
		s.withdraw(sess.id) // before Shutdown may return
	}
	s.closeDrainedLocked()
}

func (s *Server) closeDrainedLocked() {
	if s.shutdown && len(s.sessions) == 0 {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
}

// allows reports whether the named transport is known and enabled.
func (c *settings) allows(transport string) bool {
	switch transport {
	case transportPolling:
		return c.allowPolling
	case transportWebSocket:
		return c.allowWebSocket
	}
	return false
}

// isWebSocketRequest reports whether r asks for a WebSocket upgrade.
func isWebSocketRequest(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header.Get("Connection"), "upgrade")
}

func headerHasToken(v, token string) bool {
	for part := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(part), token) {
			return true
		}
	}
	return false
}
