package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/webui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// pprofPath is where --pprof mounts the profiles.
const pprofPath = "/debug/pprof/"

// pingTimeout bounds the store and broker checks of one /readyz probe.
const pingTimeout = 2 * time.Second

// routes returns the HTTP handler: Socket.IO at the configured path beside the
// operational endpoints.
func (a *app) routes(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(a.cfg.Path, a.sio)
	mux.HandleFunc("GET /healthz", a.health.healthz)
	mux.HandleFunc("GET /readyz", a.health.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(a.log.With("component", "metrics").Handler(), slog.LevelWarn),
	}))
	if a.web.site != nil {
		for _, p := range webui.Patterns {
			mux.Handle(p, a.web.site)
		}
	}
	if a.web.tokens != nil {
		mux.Handle(webui.DevTokenPath, a.web.tokens)
	}
	if a.cfg.PProf {
		mux.HandleFunc(pprofPath, pprof.Index)
		mux.HandleFunc(pprofPath+"cmdline", pprof.Cmdline)
		mux.HandleFunc(pprofPath+"profile", pprof.Profile)
		mux.HandleFunc(pprofPath+"symbol", pprof.Symbol)
		mux.HandleFunc(pprofPath+"trace", pprof.Trace)
	}
	return mux
}

// health answers the probes of an orchestrator or load balancer.
type health struct {
	draining atomic.Bool // set once, when the drain starts
	store    store.Store
	broker   readiness // nil with the memory broker
	log      *slog.Logger
	failing  atomic.Value // string: what the last probe found missing, "" when ready
}

// readiness is a dependency /readyz checks.
type readiness interface {
	Ready(ctx context.Context) error
}

// healthz reports whether the process serves: 503 once it drains, so that a load
// balancer stops sending new clients.
func (h *health) healthz(w http.ResponseWriter, _ *http.Request) {
	if h.draining.Load() {
		writeProbe(w, http.StatusServiceUnavailable, "draining")
		return
	}
	writeProbe(w, http.StatusOK, "ok")
}

// readyz reports whether the process can do its work: the store answers and, in a
// cluster, the broker relays broadcasts to the other nodes.
func (h *health) readyz(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		writeProbe(w, http.StatusServiceUnavailable, "draining")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		h.notReady(w, "store unavailable", err)
		return
	}
	if h.broker != nil {
		if err := h.broker.Ready(ctx); err != nil {
			h.notReady(w, "broker unavailable", err)
			return
		}
	}
	if prev := h.failing.Swap(""); prev != nil && prev != "" {
		h.log.Info("readiness: ready again")
	}
	writeProbe(w, http.StatusOK, "ok")
}

// notReady answers 503 with what is missing; it logs only when that changes, since
// probes come every few seconds for as long as an outage lasts.
func (h *health) notReady(w http.ResponseWriter, what string, err error) {
	if prev := h.failing.Swap(what); prev != what {
		h.log.Warn("readiness: "+what, "err", err)
	}
	writeProbe(w, http.StatusServiceUnavailable, what)
}

func writeProbe(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body+"\n")
}
