package socketio

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/chatd/chatd/internal/engineio"
)

// Server is a Socket.IO server; it is an http.Handler to mount at the Socket.IO path.
type Server struct {
	cfg     Config
	log     *slog.Logger
	engine  *engineio.Server // nil when clients are attached directly (tests)
	adapter Adapter
	// encoders pools *encodeState scratch buffers.
	encoders sync.Pool

	mu      sync.RWMutex
	nsps    map[string]*Namespace // guarded by mu
	clients map[*client]struct{}  // guarded by mu: one per open Engine.IO session
	stopped bool                  // guarded by mu: Shutdown was called
	idle    chan struct{}         // guarded by mu: closed when stopped and clients is empty
}

// NewServer returns a server with no namespaces: a client connecting to a namespace
// that was not created with Of gets CONNECT_ERROR "Invalid namespace".
func NewServer(cfg Config) *Server {
	s := newServer(cfg)
	ecfg := cfg.Engine
	if ecfg.Logger == nil {
		ecfg.Logger = s.log
	}
	s.engine = engineio.NewServer(ecfg, engineHandler{s})
	return s
}

// newServer returns a server without its Engine.IO layer.
func newServer(cfg Config) *Server {
	s := &Server{
		cfg:     cfg,
		log:     cfg.logger(),
		adapter: cfg.Adapter,
		nsps:    make(map[string]*Namespace),
		clients: make(map[*client]struct{}),
	}
	if s.adapter == nil {
		s.adapter = NewMemoryAdapter()
	}
	s.encoders.New = func() any { return newEncodeState() }
	return s
}

// engineHandler hands the Engine.IO sessions to the server without making Accept part
// of Server's exported API.
type engineHandler struct{ srv *Server }

func (h engineHandler) Accept(sess *engineio.Session) engineio.Receiver {
	return h.srv.accept(sess)
}

// accept starts serving one Engine.IO session.
func (s *Server) accept(c conn) *client {
	cl := newClient(s, c)
	s.mu.Lock()
	stopped := s.stopped
	if !stopped {
		s.clients[cl] = struct{}{}
	}
	s.mu.Unlock()
	if stopped {
		cl.closeWith(ReasonServerShuttingDown)
		return cl
	}
	cl.startConnectTimer(s.cfg.connectTimeout())
	return cl
}

// removeClient forgets a client whose session has closed.
func (s *Server) removeClient(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, c)
	if s.stopped && len(s.clients) == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// ServeHTTP serves the Engine.IO endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.engine.ServeHTTP(w, r)
}

// Of returns the namespace with the given name ("/chat"), creating it if needed. A
// name without a leading slash gets one. Names cannot contain a comma (it ends the
// namespace on the wire), so Of panics on one.
func (s *Server) Of(name string) *Namespace {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if strings.Contains(name, ",") {
		panic(fmt.Sprintf("socketio: namespace name %q contains a comma", name))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nsps[name]; ok {
		return n
	}
	n := newNamespace(s, name)
	s.nsps[name] = n
	return n
}

// namespace returns the namespace called name if Of created it.
func (s *Server) namespace(name string) (*Namespace, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.nsps[name]
	return n, ok
}

// Shutdown disconnects every socket ("server shutting down") and closes every
// session. It returns once every session has closed, or with ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	clients, idle := s.stop()
	for _, c := range clients {
		c.setCloseReason(ReasonServerShuttingDown)
	}
	var err error
	if s.engine != nil {
		if err = s.engine.Shutdown(ctx); err != nil {
			err = fmt.Errorf("shut down engine.io: %w", err)
		}
	}
	for _, c := range clients {
		c.closeWith(ReasonServerShuttingDown)
	}
	select {
	case <-idle:
		return err
	case <-ctx.Done():
		return fmt.Errorf("wait for sessions to close: %w", ctx.Err())
	}
}

// stop refuses new sessions and returns the open ones, with a channel closed once
// they have all gone.
func (s *Server) stop() ([]*client, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	idle := make(chan struct{})
	if len(s.clients) == 0 {
		close(idle)
	} else {
		s.idle = idle
	}
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	return clients, idle
}

// ConnectionCount returns the number of open Engine.IO sessions.
func (s *Server) ConnectionCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.clients)
}

func (s *Server) getEncoder() *encodeState { return s.encoders.Get().(*encodeState) }

// maxPooledEncoder bounds the scratch memory kept in the pool: one huge emit must not
// pin its buffers forever.
const maxPooledEncoder = 64 << 10

func (s *Server) putEncoder(e *encodeState) {
	if cap(e.data) > maxPooledEncoder || e.tmp.Cap() > maxPooledEncoder {
		return
	}
	e.reset()
	s.encoders.Put(e)
}
