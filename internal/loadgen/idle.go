package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"
)

// IdleResult is what the idle scenario measured.
type IdleResult struct {
	Conns          int     `json:"conns"`
	Rooms          int     `json:"rooms"`
	SetupSeconds   float64 `json:"setup_s"`        // to connect and join them all
	PingsAnswered  uint64  `json:"pings_answered"` // Engine.IO heartbeats while held
	RSSBeforeKB    int64   `json:"rss_before_kb,omitempty"`
	RSSAfterKB     int64   `json:"rss_after_kb,omitempty"`
	BytesPerConn   int64   `json:"bytes_per_conn,omitempty"` // (after − before) / conns
	GoroutinesIdle int     `json:"goroutines_before,omitempty"`
	Goroutines     int     `json:"goroutines_after,omitempty"` // from the server's /metrics
}

func (i *IdleResult) writeSummary(w io.Writer) {
	fmt.Fprintf(w, "  %d connections joined to %d rooms in %.1fs, %d pings answered while held\n",
		i.Conns, i.Rooms, i.SetupSeconds, i.PingsAnswered)
	if i.RSSAfterKB > 0 {
		fmt.Fprintf(w, "  server RSS %s → %s: %.1f KiB per connection\n",
			kb(i.RSSBeforeKB), kb(i.RSSAfterKB), float64(i.BytesPerConn)/1024)
	}
	if i.Goroutines > 0 {
		fmt.Fprintf(w, "  server goroutines %d → %d\n", i.GoroutinesIdle, i.Goroutines)
	}
}

// idleHandler ignores all traffic: the sessions only answer pings.
type idleHandler struct{}

func (idleHandler) onEvent(*session, []byte)      {}
func (idleHandler) onAck(*session, int64, []byte) {}

func (r *run) idle(ctx context.Context, res *Result) error {
	o := r.o
	out := &IdleResult{Conns: o.Conns, Rooms: o.Rooms}
	before, err := r.serverMem()
	if err != nil {
		return err
	}
	out.GoroutinesIdle, _ = r.goroutines(ctx)
	setup := time.Now()
	sessions, err := r.dialAll(ctx, o.Conns, func(i int) seat {
		room, pos := i%o.Rooms, i/o.Rooms
		return seat{h: idleHandler{}, user: r.name("idle", i), rooms: []string{r.name("room", room)},
			server: spread(room, pos, len(o.URLs))}
	})
	if err != nil {
		return err
	}
	defer closeAll(sessions)
	out.SetupSeconds = round(time.Since(setup).Seconds(), 3)
	win := startWindow(o)
	hold(ctx, o.Progress, "hold", o.Duration, func() string {
		return fmt.Sprintf("%d connections, %d pings answered", len(sessions), pings(sessions))
	})
	win.end(res, r.errs)
	out.PingsAnswered = pings(sessions)
	out.Goroutines, _ = r.goroutines(ctx)
	if res.Server != nil {
		out.RSSBeforeKB, out.RSSAfterKB = before.rss, res.Server.RSSEndKB
		out.BytesPerConn = (out.RSSAfterKB - out.RSSBeforeKB) * 1024 / int64(o.Conns)
	}
	r.countDisconnects(sessions)
	res.Idle = out
	return nil
}

// serverMem sums the servers' memory before anything connects, when their pids are
// known.
func (r *run) serverMem() (memSample, error) {
	var sum memSample
	for _, pid := range r.o.ServerPIDs {
		m, err := procMem(pid)
		if err != nil {
			return memSample{}, fmt.Errorf("probe server %d: %w", pid, err)
		}
		sum.rss += m.rss
		sum.peak += m.peak
	}
	return sum, nil
}

// pings sums the Engine.IO pings the sessions answered.
func pings(sessions []*session) uint64 {
	var n uint64
	for _, s := range sessions {
		n += s.stats.pings.Load()
	}
	return n
}

// parseGoroutines finds the go_goroutines sample in a Prometheus text exposition.
func parseGoroutines(r io.Reader) (int, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("go_goroutines ")); ok {
			n, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
			return int(n), err == nil
		}
	}
	return 0, false
}
