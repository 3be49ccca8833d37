package loadgen

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Options configure a run. The zero value of every field means its default, given in
// its comment; a field a scenario does not use is ignored.
type Options struct {
	// URLs are the servers' base URLs; default http://127.0.0.1:8080. With several (the
	// nodes of a cluster), sessions are spread round-robin across them so that every
	// room has members on every node: see spread.
	URLs   []string
	Path   string // Socket.IO path; default /socket.io/
	Secret []byte // HS256 secret to mint tokens with (required)

	Warmup   time.Duration // traffic before measuring; default 2s (connect, fanout)
	Duration time.Duration // measured time; default 10s
	Drain    time.Duration // longest wait for stragglers after sending stops; default 5s
	Timeout  time.Duration // setup of one session; default 10s

	Rooms      int     // fanout, idle: rooms; default 10
	Members    int     // fanout: sockets per room; default 100
	Publishers int     // fanout: per room, default 1; history: prefill writers, default 8
	Size       int     // fanout: message content bytes; default 100
	Inflight   int     // closed loop: unacknowledged messages per publisher; default 8
	Rate       float64 // fanout: total messages/s, an open loop; 0 means closed loop

	Conns       int // idle: connections; default 1000
	Concurrency int // connect: connectors, default 50; history: syncers, default 4; setup dials
	Prefill     int // history: messages stored before measuring; default 100000
	Limit       int // history: messages per syncMessages page; default 50

	// ServerPIDs are the server processes (one per node) whose CPU and memory are read
	// from /proc over the measured window and summed into Result.Server.
	ServerPIDs []int
	// WatchPIDs are other processes — a broker such as redis-server — whose CPU and
	// memory are reported one by one in Result.Watched, apart from the servers'.
	WatchPIDs []int
	// OnWindow, when set, is called with "start" just before the measured window opens
	// and with "end" just after it closes, on the scenario's goroutine: a script can
	// snapshot what the generator cannot see (the broker's command counters). Its
	// errors are counted as "window_hook".
	OnWindow func(event string) error

	Progress io.Writer    // progress bar; nil for none
	Logger   *slog.Logger // nil discards
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults(sc Scenario) Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if len(o.URLs) == 0 {
		o.URLs = []string{"http://127.0.0.1:8080"}
	}
	if o.Path == "" {
		o.Path = "/socket.io/"
	}
	defDur(&o.Warmup, 2*time.Second)
	defDur(&o.Duration, 10*time.Second)
	defDur(&o.Drain, 5*time.Second)
	defDur(&o.Timeout, 10*time.Second)
	def(&o.Rooms, 10)
	def(&o.Members, 100)
	def(&o.Size, 100)
	def(&o.Inflight, 8)
	def(&o.Conns, 1000)
	if sc == History {
		def(&o.Publishers, 8)
		def(&o.Concurrency, 4)
	} else {
		def(&o.Publishers, 1)
		def(&o.Concurrency, 50)
	}
	def(&o.Prefill, 100000)
	def(&o.Limit, 50)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// validate reports settings no run can use.
func (o Options) validate(sc Scenario) error {
	if len(o.Secret) == 0 {
		return errors.New("a secret is required to mint tokens")
	}
	for _, raw := range o.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("url %q: want http://host:port or https://host:port", raw)
		}
	}
	for _, pid := range slices.Concat(o.ServerPIDs, o.WatchPIDs) {
		if pid <= 0 {
			return fmt.Errorf("process id %d: must be positive", pid)
		}
	}
	if sc == Fanout && o.Publishers > o.Members {
		return fmt.Errorf("%d publishers per room but only %d members", o.Publishers, o.Members)
	}
	if sc == History && o.Limit > 200 {
		return fmt.Errorf("limit %d: the contract caps pages at 200", o.Limit)
	}
	if o.Rate < 0 {
		return fmt.Errorf("rate %v: must not be negative", o.Rate)
	}
	return nil
}

// wsURL returns the WebSocket URL of the Engine.IO endpoint of the server at base.
func wsURL(base, path string) string {
	u, _ := url.Parse(base) // validated
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	path = "/" + strings.Trim(path, "/") + "/"
	return scheme + "://" + u.Host + path + "?EIO=4&transport=websocket"
}

// dialSpecs returns one dialSpec per server, in the order of o.URLs.
func (o Options) dialSpecs() []dialSpec {
	specs := make([]dialSpec, len(o.URLs))
	for i, base := range o.URLs {
		specs[i] = dialSpec{wsURL: wsURL(base, o.Path), timeout: o.Timeout}
	}
	return specs
}
