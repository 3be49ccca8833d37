package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/broker"
	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
)

// storeTimeout bounds one store call made for a client event.
const storeTimeout = 10 * time.Second

// Service serves the chat contract on one Socket.IO namespace.
type Service struct {
	cfg      Config // with defaults applied; immutable
	store    store.Store
	verifier *auth.Verifier
	log      *slog.Logger
	clock    clock
	metrics  *metrics // nil without a registerer

	users    *users
	rooms    *membership
	registry broker.Registry // nil on a single node
	pipeline store.Pipeliner // the store, when it commits a room's appends in start order
	locks    *userLocks      // order one user's transitions with their registry calls
	typing   *typing
	expiries *expiryQueue // the clients' token expiries
	conns    *connLimiter

	ctx    context.Context // parent of store calls; cancelled by Close
	cancel context.CancelFunc

	ns atomic.Pointer[socketio.Namespace] // set by Register; used by timer callbacks
}

// New returns a service; it fails on an unusable Config or missing Deps.
func New(cfg Config, deps Deps) (*Service, error) {
	return newService(cfg, deps, systemClock{})
}

func newService(cfg Config, deps Deps, clk clock) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("create chat service: %w", err)
	}
	if deps.Store == nil || deps.Verifier == nil {
		return nil, errors.New("create chat service: Store and Verifier are required")
	}
	m, err := newMetrics(deps.Metrics)
	if err != nil {
		return nil, fmt.Errorf("create chat service: %w", err)
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	svc := &Service{
		cfg: cfg, store: deps.Store, verifier: deps.Verifier, log: log, clock: clk, metrics: m,
		rooms: newMembership(), conns: newConnLimiter(cfg.RateConnections),
		registry: deps.Registry, locks: newUserLocks(),
	}
	lc := limitConfig{messages: cfg.RateMessages, typing: cfg.RateTyping, joins: cfg.RateJoins, burst: cfg.RateBurst}
	svc.pipeline, _ = deps.Store.(store.Pipeliner)
	svc.users = newUsers(clk, cfg.PresenceGrace, lc, svc.userOffline)
	svc.typing = newTyping(clk, cfg.TypingTimeout, svc.typingExpired)
	svc.expiries = newExpiryQueue(clk, svc.tokenExpired)
	svc.ctx, svc.cancel = context.WithCancel(context.Background())
	return svc, nil
}

// Register installs the service's middleware and event handlers on ns (normally "/chat").
func (svc *Service) Register(ns *socketio.Namespace) {
	svc.ns.Store(ns)
	ns.Use(svc.authenticate)
	ns.OnConnect(svc.connected)
	ns.OnDisconnect(svc.disconnected)
	svc.registerHandlers(ns)
}

// Drain waits, until ctx ends, for the sends that sockets still have in flight to be
// stored, answered and broadcast, and for the leave bookkeeping queued behind them. A
// graceful shutdown calls it once the sockets are closed and before Close, which
// cancels the store calls: a socket that left with 64 sends in its pipe would
// otherwise see commits cut short, or stored messages never broadcast.
func (svc *Service) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { // waiting for each pipe in turn waits for all of them
		defer close(done)
		for _, c := range svc.users.clients() {
			c.sends.wait()
		}
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("chat: sends still in flight at shutdown: %w", ctx.Err())
	}
}

// Close stops the service's timers (presence grace, typing expiry, token expiry) and
// cancels store calls in flight. Sockets stay connected; the server closes them.
func (svc *Service) Close() {
	svc.cancel()
	for _, c := range svc.users.close() {
		c.stopExpiry()
	}
	svc.typing.close()
}

// storeContext returns the context of one store call.
func (svc *Service) storeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(svc.ctx, storeTimeout)
}

// internal logs the cause of a server failure and returns what the client may know.
func (svc *Service) internal(c *client, op string, cause error) *Error {
	c.log().Error("chat: "+op+" failed", "err", cause)
	return internalError()
}
