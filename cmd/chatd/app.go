package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/chatd/chatd/internal/chat"
	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
)

// app is a started chatd. Its fields are set by cli.start and only read afterwards.
type app struct {
	cfg    *Config
	log    *slog.Logger
	ln     net.Listener
	http   *http.Server
	sio    *socketio.Server
	chat   *chat.Service
	store  store.Store
	broker io.Closer // nil with the memory broker
	web    web
	health *health
}

// run serves until ctx is done or serving fails, then drains. It returns the exit code.
func (a *app) run(ctx context.Context) int {
	served := make(chan error, 1)
	go func() { served <- a.serve() }()
	code := exitOK
	select {
	case <-ctx.Done():
		a.log.Info("draining", "timeout", a.cfg.ShutdownTimeout)
	case err := <-served:
		a.log.Error("serving stopped", "err", err)
		code, served = exitFailure, nil
	}
	if err := a.drain(served); err != nil {
		a.log.Error("drain", "err", err)
		return exitFailure
	}
	a.log.Info("stopped")
	return code
}

// serve serves HTTP, or HTTPS when a certificate is configured, until Shutdown.
func (a *app) serve() error {
	var err error
	if a.cfg.TLSCert != "" {
		err = a.http.ServeTLS(a.ln, a.cfg.TLSCert, a.cfg.TLSKey)
	} else {
		err = a.http.Serve(a.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve http: %w", err)
}

// drain stops chatd within the shutdown timeout: probes turn unhealthy, the listener
// closes, every client is disconnected (so it reconnects to another node), then the
// domain stops and the store flushes its pending writes. served, when not nil,
// delivers the result of serve.
func (a *app) drain(served <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	a.health.draining.Store(true)
	// http.Server.Shutdown closes the listener at once but then waits for requests in
	// flight, among them long-polling GETs that end only when their sessions close: so
	// it runs beside the Socket.IO shutdown that closes them.
	httpDone := make(chan error, 1)
	go func() { httpDone <- a.http.Shutdown(ctx) }()
	var errs []error
	if err := a.sio.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down socket.io: %w", err))
	}
	// The closed sockets' sends still in flight are stored and broadcast (through the
	// broker, still open) before the store calls are cancelled.
	if err := a.chat.Drain(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := <-httpDone; err != nil {
		errs = append(errs, fmt.Errorf("shut down http: %w", err))
		_ = a.http.Close() // cut what is left
	}
	if served != nil {
		if err := <-served; err != nil {
			errs = append(errs, err)
		}
	}
	a.chat.Close()
	if a.broker != nil {
		// After the Socket.IO shutdown: the broadcasts of the last disconnects are
		// still relayed.
		if err := a.broker.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := closeStore(ctx, a.store); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// closeStore closes st, giving up when ctx is done: the process is about to exit and
// must not hang on a stuck disk.
func closeStore(ctx context.Context, st store.Store) error {
	done := make(chan error, 1)
	go func() { done <- st.Close() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("close store: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close store: %w", context.Cause(ctx))
	}
}
