package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/chatd/chatd/internal/chat"
	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
)

const serveUsage = `Usage: chatd [serve] [settings]

Runs the chat server: Socket.IO at --path (namespace /chat), the chat page at / (unless
--web=false; POST /dev/token signs it in by name in development mode), GET /healthz,
/readyz and /metrics, and /debug/pprof/ with --pprof. SIGTERM or SIGINT drains gracefully.

Other commands:
  chatd token --sub ID   print a development token (see chatd token --help)
  chatd version          print the version
`

// chatNamespace is the one Socket.IO namespace chatd serves; any other gets
// "Invalid namespace".
const chatNamespace = "/chat"

// readHeaderTimeout bounds how long a client may take to send request headers; bodies
// and hijacked WebSockets are bounded by the Engine.IO layer instead.
const readHeaderTimeout = 10 * time.Second

// serve runs "chatd serve" until ctx is done, then drains.
func (c *cli) serve(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("chatd", flag.ContinueOnError)
	var cfg Config
	bindConfig(fs, &cfg)
	if code, done := c.parseCommand(fs, &cfg, args, serveUsage); done {
		return code
	}
	log := newLogger(c.stderr, &cfg)
	a, err := c.start(ctx, &cfg, log)
	if err != nil {
		return c.fail(err)
	}
	return a.run(ctx)
}

// start builds every layer bottom-up and listens; on error it undoes what it did.
func (c *cli) start(ctx context.Context, cfg *Config, log *slog.Logger) (_ *app, err error) {
	var undo []func()
	defer func() {
		for i := len(undo) - 1; err != nil && i >= 0; i-- {
			undo[i]()
		}
	}()
	verifier, dev, err := newVerifier(cfg, log)
	if err != nil {
		return nil, err
	}
	dev = dev || cfg.Dev
	origins, err := newOriginPolicy(cfg.Origins, dev)
	if err != nil {
		return nil, &configError{fmt.Errorf("%s: %w", settingName("allowed-origins"), err)}
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redactDSN(cfg.DB), err)
	}
	undo = append(undo, func() { _ = st.Close() })
	reg := newRegistry()
	relay, presence, err := newBroker(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	deps := chat.Deps{Store: st, Verifier: verifier, Logger: log.With("component", "chat"), Metrics: reg}
	if presence != nil {
		deps.Registry = presence
	}
	svc, err := chat.New(chatConfig(cfg), deps)
	if err != nil {
		return nil, fmt.Errorf("start chat service: %w", err)
	}
	undo = append(undo, svc.Close)
	sc := socketConfig(cfg, origins, log)
	hp := &health{store: st, log: log}
	if relay != nil {
		undo = append(undo, func() { _ = presence.Close(); _ = relay.Close() })
		sc.Adapter = relay
		hp.broker = relay
		reg.MustRegister(newBrokerCollector(relay))
		useClusterRecovery(&sc, relay, reg)
	}
	if err := enableForwarding(cfg, relay, &sc, reg, log); err != nil {
		return nil, err
	}
	sio := socketio.NewServer(sc)
	ns := sio.Of(chatNamespace)
	svc.Register(ns)
	if presence != nil {
		presence.Run(svc.Snapshot, svc.NodeLost)
	}
	reg.MustRegister(newSocketCollector(sio))
	registerEngineMetrics(reg, sio)
	web, err := newWeb(cfg, dev, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if c.onListen != nil {
		c.onListen(ln.Addr())
	}
	a := &app{cfg: cfg, log: log, ln: ln, sio: sio, chat: svc, store: st, web: web, health: hp}
	if relay != nil {
		a.broker = clusterNode{adapter: relay, registry: presence}
	}
	a.http = &http.Server{
		Handler:           a.routes(reg),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
	}
	log.Info("chatd listening", "addr", ln.Addr().String(), "tls", cfg.TLSCert != "", "path", cfg.Path,
		"store", redactDSN(cfg.DB), "data_dir", cfg.DataDir, "broker", redactDSN(cfg.Broker), "mode", modeName(dev),
		"recovery", cfg.Recovery, "web", web.site != nil, "dev_tokens", web.tokens != nil, "version", buildVersion())
	return a, nil
}

func modeName(dev bool) string {
	if dev {
		return "development"
	}
	return "production"
}

// newLogger returns the process logger; cfg was validated, so its level parses.
func newLogger(w io.Writer, cfg *Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFmt == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func chatConfig(cfg *Config) chat.Config {
	return chat.Config{
		PresenceGrace:     cfg.PresenceGrace,
		TypingTimeout:     cfg.TypingTimeout,
		RateMessages:      cfg.RateMessages,
		RateBurst:         cfg.RateBurst,
		RateTyping:        cfg.RateTyping,
		RateJoins:         cfg.RateJoins,
		RateConnections:   cfg.RateConnections,
		MaxRoomsPerSocket: cfg.MaxRooms,
		MaxMessageBytes:   cfg.MaxMessageBytes,
	}
}

// socketConfig configures the protocol and transport layers. A nil origins allows
// every origin.
func socketConfig(cfg *Config, origins *originPolicy, log *slog.Logger) socketio.Config {
	sc := socketio.Config{
		Engine: engineio.Config{
			PingInterval: cfg.PingInterval,
			PingTimeout:  cfg.PingTimeout,
			MaxPayload:   cfg.MaxPayload,
			SendQueue:    cfg.SendQueue,
			Logger:       log.With("component", "engineio"),
		},
		Logger: log.With("component", "socketio"),
	}
	if origins != nil {
		sc.Engine.AllowOrigin = origins.allow
	}
	if cfg.Recovery > 0 {
		sc.Recovery = &socketio.Recovery{MaxDisconnection: cfg.Recovery}
	}
	return sc
}
