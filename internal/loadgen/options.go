package loadgen

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Options configure a run. The zero value of every field means its default, given in
// its comment; a field a scenario does not use is ignored.
type Options struct {
	URL    string // server base URL; default http://127.0.0.1:8080
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

	ServerPID int // when > 0, the server's CPU and memory are read from /proc

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
	if o.URL == "" {
		o.URL = "http://127.0.0.1:8080"
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
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want http://host:port or https://host:port", o.URL)
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

// wsURL returns the WebSocket URL of the Engine.IO endpoint.
func (o Options) wsURL() string {
	u, _ := url.Parse(o.URL) // validated
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	path := "/" + strings.Trim(o.Path, "/") + "/"
	return scheme + "://" + u.Host + path + "?EIO=4&transport=websocket"
}
