package engineio

import (
	"log/slog"
	"net/http"
	"time"
)

// Transport names as they appear in the "transport" query parameter.
const (
	transportPolling   = "polling"
	transportWebSocket = "websocket"
)

// settings is a Config with every default resolved, computed once by NewServer.
type settings struct {
	pingInterval   time.Duration
	pingTimeout    time.Duration
	maxPayload     int
	upgradeTimeout time.Duration
	sendQueue      int
	writeTimeout   time.Duration
	allowPolling   bool
	allowWebSocket bool
	allowOrigin    func(origin string, r *http.Request) bool
	cookie         *Cookie
	logger         *slog.Logger
}

func resolve(cfg Config) settings {
	s := settings{
		pingInterval:   orDuration(cfg.PingInterval, 25*time.Second),
		pingTimeout:    orDuration(cfg.PingTimeout, 20*time.Second),
		maxPayload:     orInt(cfg.MaxPayload, 1_000_000),
		upgradeTimeout: orDuration(cfg.UpgradeTimeout, 10*time.Second),
		sendQueue:      orInt(cfg.SendQueue, 1024),
		writeTimeout:   orDuration(cfg.WriteTimeout, 10*time.Second),
		allowOrigin:    cfg.AllowOrigin,
		cookie:         resolveCookie(cfg.Cookie),
		logger:         cfg.Logger,
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.allowPolling, s.allowWebSocket = cfg.Transports == nil, cfg.Transports == nil
	for _, t := range cfg.Transports {
		switch t {
		case transportPolling:
			s.allowPolling = true
		case transportWebSocket:
			s.allowWebSocket = true
		}
	}
	return s
}

// resolveCookie returns a copy of c with its defaults filled in, or nil.
func resolveCookie(c *Cookie) *Cookie {
	if c == nil {
		return nil
	}
	out := *c
	if out.Name == "" {
		out.Name = "io"
	}
	if out.Path == "" {
		out.Path = "/"
	}
	return &out
}

func orDuration(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
