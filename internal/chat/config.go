package chat

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/broker"
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
	// Registry is the cluster's presence and membership, shared by the nodes; nil
	// means a single node, whose own bookkeeping is the whole truth.
	Registry broker.Registry
}

// withDefaults returns cfg with every zero field replaced by its default, or an error
// when a field is negative.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.PresenceGrace < 0 || cfg.TypingTimeout < 0 || cfg.RateMessages < 0 ||
		cfg.RateBurst < 0 || cfg.RateTyping < 0 || cfg.RateJoins < 0 ||
		cfg.RateConnections < 0 || cfg.MaxRoomsPerSocket < 0 || cfg.MaxMessageBytes < 0 {
		return cfg, fmt.Errorf("check config: negative value in %+v", cfg)
	}
	setDefault(&cfg.PresenceGrace, 5*time.Second)
	setDefault(&cfg.TypingTimeout, 6*time.Second)
	setDefault(&cfg.RateMessages, 10)
	setDefault(&cfg.RateBurst, 20)
	setDefault(&cfg.RateTyping, 5)
	setDefault(&cfg.RateJoins, 20)
	setDefault(&cfg.RateConnections, 20)
	setDefault(&cfg.MaxRoomsPerSocket, 100)
	setDefault(&cfg.MaxMessageBytes, 16384)
	return cfg, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
