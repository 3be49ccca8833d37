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

// Run runs scenario sc against the server o.URL and returns what it measured. It
// returns an error only when the run could not take place (bad options, a server that
// refuses every connection); errors seen while measuring are counted in the Result.
func Run(ctx context.Context, sc Scenario, o Options) (*Result, error) {
	o = o.withDefaults(sc)
	if err := o.validate(sc); err != nil {
		return nil, fmt.Errorf("check options: %w", err)
	}
	r := &run{
		o:      o,
		spec:   dialSpec{wsURL: o.wsURL(), timeout: o.Timeout},
		origin: time.Now(),
		errs:   newErrorCounts(),
		id:     runID(),
	}
	res := &Result{Scenario: string(sc), URL: o.URL, Started: r.origin.UTC()}
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
	spec   dialSpec
	origin time.Time // clock origin of probes: times are ns since it
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

// dialAll opens n sessions, o.Concurrency at a time; spec(i) says what session i is.
// On the first failure it closes what it opened and returns the error.
func (r *run) dialAll(ctx context.Context, n int, spec func(i int) (h handler, user string, rooms []string)) ([]*session, error) {
	sessions := make([]*session, n)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(r.o.Concurrency, n) {
		wg.Go(func() {
			for i := range next {
				h, user, rooms := spec(i)
				s, err := r.dialUser(ctx, h, user, rooms)
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

// dialUser mints a token for user and dials a session with it.
func (r *run) dialUser(ctx context.Context, h handler, user string, rooms []string) (*session, error) {
	tok, err := r.token(user)
	if err != nil {
		return nil, err
	}
	return r.spec.dial(ctx, h, tok, rooms...)
}

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

// window measures CPU and memory between its start and end.
type window struct {
	pid         int
	self        cpuSample
	server      cpuSample
	serverMem   memSample
	serverErr   error
	start, stop time.Time
}

// startWindow samples the generator and, when pid > 0, the server.
func startWindow(pid int) *window {
	w := &window{pid: pid, start: time.Now(), self: selfCPU()}
	if pid > 0 {
		w.server, w.serverErr = procCPU(pid)
		if w.serverErr == nil {
			w.serverMem, w.serverErr = procMem(pid)
		}
	}
	return w
}

// end samples again and fills res.Seconds, res.Generator and res.Server.
func (w *window) end(res *Result, errs *errorCounts) {
	w.stop = time.Now()
	res.Seconds = round(w.stop.Sub(w.start).Seconds(), 3)
	res.Generator.CPUPercent = cpuPercent(w.self, selfCPU())
	if w.pid <= 0 {
		return
	}
	cpu, err := procCPU(w.pid)
	var mem memSample
	if err == nil {
		mem, err = procMem(w.pid)
	}
	if err = firstErr(w.serverErr, err); err != nil {
		errs.add("server_probe", 1, err.Error())
		return
	}
	res.Server = &ServerUsage{
		PID: w.pid, CPUPercent: cpuPercent(w.server, cpu),
		RSSStartKB: w.serverMem.rss, RSSEndKB: mem.rss, RSSPeakKB: mem.peak,
	}
}

// elapsed returns the length of the window.
func (w *window) elapsed() time.Duration { return w.stop.Sub(w.start) }

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// goroutines reads go_goroutines from the server's /metrics; ok is false when the
// server has no such endpoint (the Node baseline).
func (r *run) goroutines(ctx context.Context) (n int, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.o.URL, "/")+"/metrics", nil)
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
