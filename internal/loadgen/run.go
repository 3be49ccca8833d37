package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/auth"
)

// Scenario names a kind of run.
type Scenario string

// The scenarios.
const (
	Fanout  Scenario = "fanout"  // rooms of members, publishers with acks, receivers timing deliveries
	Idle    Scenario = "idle"    // many joined connections held open: memory per connection
	Connect Scenario = "connect" // full handshakes per second
	History Scenario = "history" // syncMessages pages from a prefilled room
)

// Scenarios lists every scenario, in the order the help shows them.
func Scenarios() []Scenario { return []Scenario{Fanout, Idle, Connect, History} }

// ParseScenario returns the scenario named s.
func ParseScenario(s string) (Scenario, error) {
	for _, sc := range Scenarios() {
		if string(sc) == s {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown scenario %q (want fanout, idle, connect or history)", s)
}

// Run runs scenario sc against the servers o.URLs and returns what it measured. It
// returns an error only when the run could not take place (bad options, a server that
// refuses every connection); errors seen while measuring are counted in the Result.
func Run(ctx context.Context, sc Scenario, o Options) (*Result, error) {
	o = o.withDefaults(sc)
	if err := o.validate(sc); err != nil {
		return nil, fmt.Errorf("check options: %w", err)
	}
	r := &run{
		o:      o,
		specs:  o.dialSpecs(),
		origin: time.Now(),
		errs:   newErrorCounts(),
		id:     runID(),
	}
	res := &Result{Scenario: string(sc), URLs: o.URLs, Started: r.origin.UTC()}
	var err error
	switch sc {
	case Fanout:
		err = r.fanout(ctx, res)
	case Idle:
		err = r.idle(ctx, res)
	case Connect:
		err = r.connect(ctx, res)
	case History:
		err = r.history(ctx, res)
	default:
		err = fmt.Errorf("unknown scenario %q", sc)
	}
	if err == nil {
		err = ctx.Err() // interrupted: what was measured is incomplete
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", sc, err)
	}
	r.errs.fill(res)
	return res, nil
}

// run is the state every scenario shares.
type run struct {
	o      Options
	specs  []dialSpec // one per server, as o.URLs
	origin time.Time  // clock origin of probes: times are ns since it
	errs   *errorCounts
	id     string // distinguishes this run's users and rooms from earlier runs'
}

// runID returns a short random id.
func runID() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// now returns the time since the run's origin, on the monotonic clock.
func (r *run) now() int64 { return int64(time.Since(r.origin)) }

// name returns a user or room name unique to this run.
func (r *run) name(kind string, i ...int) string {
	var b strings.Builder
	b.WriteString("bench-")
	b.WriteString(r.id)
	b.WriteString("-")
	b.WriteString(kind)
	for _, n := range i {
		fmt.Fprintf(&b, "-%d", n)
	}
	return b.String()
}

// token mints a token for user valid for longer than any run.
func (r *run) token(user string) (string, error) {
	ttl := 2*(r.o.Warmup+r.o.Duration) + time.Hour
	tok, err := auth.Mint(r.o.Secret, auth.MintOptions{Subject: user, TTL: ttl})
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return tok, nil
}

// seat is what one session of a run is: who handles its traffic, whose token it
// carries, which rooms it joins at setup, and which server (index in o.URLs) it dials.
type seat struct {
	h      handler
	user   string
	rooms  []string
	server int
}

// dialAll opens n sessions, o.Concurrency at a time; spec(i) says what session i is.
// On the first failure it closes what it opened and returns the error.
func (r *run) dialAll(ctx context.Context, n int, spec func(i int) seat) ([]*session, error) {
	sessions := make([]*session, n)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(r.o.Concurrency, n) {
		wg.Go(func() {
			for i := range next {
				s, err := r.dialSeat(ctx, spec(i))
				if err != nil {
					cancel(fmt.Errorf("session %d: %w", i, err))
					continue
				}
				sessions[i] = s
			}
		})
	}
	r.feed(ctx, next, n, "connect", func() string { return "" })
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		closeAll(sessions)
		return nil, err
	}
	return sessions, nil
}

// feed sends 0…n-1 on next, then closes it, drawing progress every second.
func (r *run) feed(ctx context.Context, next chan<- int, n int, label string, status func() string) {
	defer close(next)
	start := time.Now()
	last := start
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			return
		}
		if r.o.Progress != nil && time.Since(last) >= time.Second {
			last = time.Now()
			fmt.Fprintf(r.o.Progress, "\r%-8s %d/%d sessions, %.0fs %s", label, i, n, time.Since(start).Seconds(), status())
		}
	}
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "\r%-8s %d/%d sessions in %.1fs%-40s\n", label, n, n, time.Since(start).Seconds(), "")
	}
}

// dialSeat mints a token for st.user and dials st's server with it.
func (r *run) dialSeat(ctx context.Context, st seat) (*session, error) {
	tok, err := r.token(st.user)
	if err != nil {
		return nil, err
	}
	return r.server(st.server).dial(ctx, st.h, tok, st.rooms...)
}

// server returns the dialSpec of server i, counted round-robin over o.URLs.
func (r *run) server(i int) dialSpec { return r.specs[i%len(r.specs)] }

// closeAll closes every non-nil session.
func closeAll(sessions []*session) {
	for _, s := range sessions {
		if s != nil {
			s.close()
		}
	}
}

// countDisconnects counts the sessions the server dropped as errors.
func (r *run) countDisconnects(sessions []*session) {
	var n uint64
	for _, s := range sessions {
		if s != nil && s.stats.disconnected.Load() {
			n++
		}
	}
	r.errs.add("disconnected", n, "the server closed a connection during the run")
}

// goroutines sums go_goroutines over the servers' /metrics; ok is false when a server
// has no such endpoint (the Node baseline).
func (r *run) goroutines(ctx context.Context) (n int, ok bool) {
	for _, base := range r.o.URLs {
		g, ok := serverGoroutines(ctx, base)
		if !ok {
			return 0, false
		}
		n += g
	}
	return n, true
}

// serverGoroutines reads go_goroutines from the /metrics of the server at base.
func serverGoroutines(ctx context.Context, base string) (n int, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false
	}
	return parseGoroutines(resp.Body)
}
