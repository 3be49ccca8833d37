// Command sioconformance serves chatd's protocol layers — internal/engineio and
// internal/socketio, through their public API only — in the shapes that the official
// Socket.IO test suites expect, so that the suites can be run against chatd unmodified:
//
//   - on -addr (":3000"): the Engine.IO echo server at /engine.io/ that the
//     engine.io-protocol suite drives, and the Socket.IO server at /socket.io/ that the
//     socket.io-protocol suite drives (see conformance.go);
//   - on -client-suite-addr (":3210"): the server that the socket.io-client package's own
//     test suite connects to (see clientsuite.go), plus the test-only /e2e namespace used
//     by chatd's end-to-end tests (see e2e.go).
//
// It holds no chat logic and is not part of chatd's production binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `Usage: sioconformance [flags]

Serves chatd's engineio and socketio packages for the official protocol test suites.

  -addr ADDR               Engine.IO echo at /engine.io/ and the socket.io-protocol
                           server at /socket.io/ (default ":3000", what both suites dial)
  -client-suite-addr ADDR  the socket.io-client test-suite server at /socket.io/, with the
                           test-only /e2e namespace (default ":3210"; "" disables it)
  -debug                   log at debug level

Run the suites (their package.json and test-suite.js come from the public repositories
socketio/engine.io-protocol and socketio/socket.io-protocol, directory test-suite/):

  go run ./cmd/sioconformance &
  (cd engine.io-protocol/test-suite && npm install && npx mocha test-suite.js)
  (cd socket.io-protocol/test-suite && npm install && npx mocha test-suite.js)
`

// config is the parsed command line.
type config struct {
	addr            string
	clientSuiteAddr string
	debug           bool
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	level := slog.LevelInfo
	if cfg.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("sioconformance failed", "err", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("sioconformance", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	fs.StringVar(&cfg.addr, "addr", ":3000", "protocol-suite listen address")
	fs.StringVar(&cfg.clientSuiteAddr, "client-suite-addr", ":3210", "client-suite listen address")
	fs.BoolVar(&cfg.debug, "debug", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("parse flags: unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
}

// program is one served HTTP handler with the shutdown of the protocol servers behind it.
type program struct {
	name     string
	addr     string
	handler  http.Handler
	shutdown func(context.Context) error
}

// run listens for every program and serves them until ctx is done or one fails.
func run(ctx context.Context, cfg config, log *slog.Logger) error {
	progs := []program{newProtocolSuiteProgram(cfg.addr, log)}
	if cfg.clientSuiteAddr != "" {
		progs = append(progs, newClientSuiteProgram(cfg.clientSuiteAddr, log))
	}
	lns := make([]net.Listener, 0, len(progs))
	for _, p := range progs {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("listen %s: %w", p.name, err)
		}
		lns = append(lns, ln)
	}
	return serve(ctx, progs, lns, log)
}

// serve serves progs[i] on lns[i] until ctx is done or one of them fails, then shuts
// all of them down.
func serve(ctx context.Context, progs []program, lns []net.Listener, log *slog.Logger) error {
	servers := make([]*http.Server, len(progs))
	errc := make(chan error, len(progs))
	for i, p := range progs {
		servers[i] = &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
		log.Info("serving", "program", p.name, "addr", lns[i].Addr().String())
		go func() { errc <- servers[i].Serve(lns[i]) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("serve: %w", err)
	}
	shutdownAll(progs, servers, log)
	return err
}

// shutdownAll closes the protocol sessions first: http.Server.Shutdown does not wait for
// hijacked WebSocket connections, the protocol servers do.
func shutdownAll(progs []program, servers []*http.Server, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, p := range progs {
		if err := p.shutdown(ctx); err != nil {
			log.Warn("shut down protocol server", "program", p.name, "err", err)
		}
		if err := servers[i].Shutdown(ctx); err != nil {
			log.Warn("shut down http server", "program", p.name, "err", err)
		}
	}
}
