package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/loadgen"
)

const benchUsage = `Usage: chatd bench SCENARIO [flags]

Load-tests a chat server speaking the chatd contract (chatd itself, or the Node
baseline) over Socket.IO on WebSocket, and prints one JSON line with the results on
stdout; a progress bar and a summary go to stderr unless --json is given.

Scenarios:
  fanout   rooms × members; publishers send with acks, every member times deliveries.
           Closed loop (--inflight per publisher) or open loop (--rate msgs/s in total,
           latency from the scheduled send time).
  idle     --conns connections joined to rooms and held; with --server-pid, the server's
           RSS per connection.
  connect  full handshakes per second (WebSocket, CONNECT with a JWT, joinRoom ack,
           close) from --concurrency connectors.
  history  stores --prefill messages in one room, then times syncMessages pages of
           --limit messages after random ids.

The server's rate limits must allow the load, e.g. CHATD_RATE_MESSAGES=1000000
CHATD_RATE_BURST=1000000 CHATD_RATE_CONNECTIONS=1000000 CHATD_RATE_JOINS=1000000.
`

// bench runs "chatd bench".
func (c *cli) bench(ctx context.Context, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			c.benchHelp(benchFlags(&benchConfig{}))
			return exitOK
		}
		return c.usageError(errors.New("bench needs a scenario: fanout, idle, connect or history"))
	}
	sc, err := loadgen.ParseScenario(args[0])
	if err != nil {
		return c.usageError(err)
	}
	var bc benchConfig
	fs := benchFlags(&bc)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.benchHelp(fs)
			return exitOK
		}
		return c.usageError(err)
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	return c.runBench(ctx, sc, bc)
}

// benchHelp prints the usage and the flags of fs on stdout.
func (c *cli) benchHelp(fs *flag.FlagSet) {
	fmt.Fprint(c.stdout, benchUsage+"\nFlags:\n")
	fs.SetOutput(c.stdout)
	fs.PrintDefaults()
}

// benchConfig is the command line of chatd bench.
type benchConfig struct {
	opts       loadgen.Options
	secret     string
	json       bool
	cpuProfile string
}

// benchFlags defines the flags of chatd bench into bc.
func benchFlags(bc *benchConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("chatd bench", flag.ContinueOnError)
	o := &bc.opts
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "server base URL")
	fs.StringVar(&o.Path, "path", "/socket.io/", "Socket.IO path")
	fs.StringVar(&bc.secret, "secret", "", "HS256 secret to mint tokens with (default $CHATD_JWT_SECRET)")
	durationVar(fs, &o.Warmup, "warmup", 2*time.Second, "traffic before measuring")
	durationVar(fs, &o.Duration, "duration", 10*time.Second, "measured time (idle: how long connections are held)")
	durationVar(fs, &o.Drain, "drain", 5*time.Second, "longest wait for acks and deliveries after sending stops")
	durationVar(fs, &o.Timeout, "timeout", 10*time.Second, "setup of one connection")
	intVar(fs, &o.Rooms, "rooms", 10, "fanout, idle: rooms")
	intVar(fs, &o.Members, "members", 100, "fanout: connections per room")
	intVar(fs, &o.Publishers, "publishers", 0, "fanout: publishers per room (default 1); history: prefill writers (default 8)")
	intVar(fs, &o.Size, "size", 100, "fanout, history: message content bytes")
	intVar(fs, &o.Inflight, "inflight", 8, "closed loop: unacknowledged messages per publisher")
	floatVar(fs, &o.Rate, "rate", 0, "fanout: messages/s in total, an open loop; 0 for a closed loop")
	intVar(fs, &o.Conns, "conns", 1000, "idle: connections")
	intVar(fs, &o.Concurrency, "concurrency", 0, "connect: connectors (default 50); history: syncers (default 4); also dials in parallel at setup")
	intVar(fs, &o.Prefill, "prefill", 100000, "history: messages stored before measuring")
	intVar(fs, &o.Limit, "limit", 50, "history: messages per page")
	intVar(fs, &o.ServerPID, "server-pid", 0, "server process id: report its CPU and memory from /proc")
	boolVar(fs, &bc.json, "json", false, "print only the JSON line (no progress, no summary)")
	fs.StringVar(&bc.cpuProfile, "cpuprofile", "", "write the generator's CPU profile to this file")
	return fs
}

// runBench runs the scenario and prints its result.
func (c *cli) runBench(ctx context.Context, sc loadgen.Scenario, bc benchConfig) int {
	secret := bc.secret
	if secret == "" {
		secret = c.env("CHATD_JWT_SECRET")
	}
	if secret == "" {
		return c.usageError(errors.New("bench needs --secret or CHATD_JWT_SECRET to mint tokens"))
	}
	bc.opts.Secret = []byte(secret)
	if !bc.json {
		bc.opts.Progress = c.stderr
	}
	if bc.cpuProfile != "" {
		stop, err := startCPUProfile(bc.cpuProfile)
		if err != nil {
			return c.fail(err)
		}
		defer stop()
	}
	res, err := loadgen.Run(ctx, sc, bc.opts)
	if err != nil {
		return c.fail(err)
	}
	line, err := json.Marshal(res)
	if err != nil {
		return c.fail(fmt.Errorf("encode result: %w", err))
	}
	fmt.Fprintf(c.stdout, "%s\n", line)
	if !bc.json {
		res.WriteSummary(c.stderr)
	}
	if !res.OK {
		return exitFailure
	}
	return exitOK
}

// startCPUProfile profiles the generator into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
