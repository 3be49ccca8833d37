// Package chat is chatd's domain: the events of the chat contract (joinRoom, sendMessage,
// typing, presence, read receipts, sync, token refresh), their validation, rate limits,
// and the presence and typing state machines.
//
// In the data flow it sits above the protocol layer: package socketio hands it decoded
// events of authenticated sockets, it consults auth and store, and answers through the
// socketio API (emits, acks, room broadcasts). It knows nothing of frames.
package chat

// THIS FILE IS THE AGREED PUBLIC API. Bodies marked "not implemented" are to be
// replaced by the real implementation; exported names and signatures stay (more may be
// added).

import (
	"log/slog"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Config holds the domain's tunables. Zero fields mean the defaults documented.
type Config struct {
	PresenceGrace     time.Duration // offline after the last socket left; zero means 5s
	TypingTimeout     time.Duration // typing ends without refresh; zero means 6s
	RateMessages      float64       // messages per second per user; zero means 10
	RateBurst         int           // message burst per user; zero means 20
	RateTyping        float64       // typing state changes per second per user; zero means 5
	RateJoins         float64       // joins per second per user; zero means 20
	RateConnections   float64       // new connections per second per IP; zero means 20 (burst 2x)
	MaxRoomsPerSocket int           // zero means 100
	MaxMessageBytes   int           // sendMessage payload as JSON; zero means 16384
}

// Deps are the collaborators of the service.
type Deps struct {
	Store    store.Store
	Verifier *auth.Verifier
	Logger   *slog.Logger          // nil means slog.Default()
	Metrics  prometheus.Registerer // nil means no metrics
}

// Service serves the chat contract on one Socket.IO namespace.
type Service struct {
	// unexported fields
}

// New returns a service; it fails on an unusable Config or missing Deps.
func New(cfg Config, deps Deps) (*Service, error) { panic("not implemented") }

// Register installs the service's middleware and event handlers on ns (normally "/chat").
func (s *Service) Register(ns *socketio.Namespace) { panic("not implemented") }

// Close stops the service's timers (presence grace, typing expiry, token expiry).
func (s *Service) Close() { panic("not implemented") }
