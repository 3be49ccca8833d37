package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
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

Against a cluster, give every node: --url http://a:8080,http://b:8080 (or --url
repeated). Sessions are spread round-robin over the nodes, so that every room has
members on every node; --server-pid then takes every node's process, and --watch-pid
the broker's (redis-server), reported apart. --window-hook runs a command as the
measured window opens and closes, e.g. to snapshot the broker's counters.

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
	windowHook string
}

// benchFlags defines the flags of chatd bench into bc.
func benchFlags(bc *benchConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("chatd bench", flag.ContinueOnError)
	o := &bc.opts
	listVar(fs, &o.URLs, "url", []string{"http://127.0.0.1:8080"},
		"server base URLs, comma-separated or repeated: the nodes of a cluster", parseURL)
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
	listVar(fs, &o.ServerPIDs, "server-pid", nil,
		"server process ids, comma-separated or repeated: report their CPU and memory from /proc, summed", parsePID)
	listVar(fs, &o.WatchPIDs, "watch-pid", nil,
		"other process ids (the broker) whose CPU and memory to report one by one", parsePID)
	boolVar(fs, &bc.json, "json", false, "print only the JSON line (no progress, no summary)")
	fs.StringVar(&bc.cpuProfile, "cpuprofile", "", "write the generator's CPU profile to this file")
	fs.StringVar(&bc.windowHook, "window-hook", "",
		"shell command run as the measured window opens and closes, with $BENCH_WINDOW set to start or end")
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
	if bc.windowHook != "" {
		bc.opts.OnWindow = windowHook(ctx, bc.windowHook)
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

// windowHook returns an Options.OnWindow that runs command with sh, $BENCH_WINDOW set
// to the event, and waits for it; its output is kept only to explain a failure, so
// that --json stays the only thing on stdout.
func windowHook(ctx context.Context, command string) func(event string) error {
	return func(event string) error {
		cmd := exec.CommandContext(ctx, "sh", "-c", command)
		cmd.Env = append(os.Environ(), "BENCH_WINDOW="+event)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("window hook at %s: %w: %.200s", event, err, out)
		}
		return nil
	}
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

// listValue is a flag taking a list, comma-separated or repeated (--url a,b --url c);
// the first use replaces the default rather than adding to it.
type listValue[T any] struct {
	p     *[]T
	parse func(string) (T, error)
	set   bool // the flag was given: later uses append
}

func (v *listValue[T]) String() string {
	if v == nil || v.p == nil {
		return "" // the flag package probes zero values
	}
	parts := make([]string, len(*v.p))
	for i, x := range *v.p {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}

func (v *listValue[T]) Set(s string) error {
	var items []T
	for part := range strings.SplitSeq(s, ",") {
		x, err := v.parse(strings.TrimSpace(part))
		if err != nil {
			return err
		}
		items = append(items, x)
	}
	if !v.set {
		*v.p, v.set = nil, true
	}
	*v.p = append(*v.p, items...)
	return nil
}

func listVar[T any](fs *flag.FlagSet, p *[]T, name string, def []T, usage string, parse func(string) (T, error)) {
	*p = def
	fs.Var(&listValue[T]{p: p, parse: parse}, name, usage)
}

// parseURL accepts an http or https base URL.
func parseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q: want http://host:port or https://host:port", s)
	}
	return s, nil
}

// parsePID accepts a process id.
func parsePID(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: want a process id", s)
	}
	return n, nil
}
