package loadgen

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// ConnectResult is what the connect scenario measured.
type ConnectResult struct {
	Concurrency   int     `json:"concurrency"`
	Handshakes    uint64  `json:"handshakes"` // completed in the measured window
	PerSec        float64 `json:"handshakes_per_s"`
	Failed        uint64  `json:"failed"`
	Latency       Latency `json:"latency"` // WebSocket + CONNECT + joinRoom ack
	TokenPoolSize int     `json:"token_pool"`
}

func (c *ConnectResult) writeSummary(w io.Writer) {
	fmt.Fprintf(w, "  %d connectors: %.0f full handshakes/s (%d, %d failed)\n",
		c.Concurrency, c.PerSec, c.Handshakes, c.Failed)
	writeLatency(w, "handshake", c.Latency)
}

// tokenPool is how many users the connectors cycle through: enough that per-user
// limits (joins per second) are not what is measured.
const tokenPool = 4096

func (r *run) connect(ctx context.Context, res *Result) error {
	o := r.o
	tokens := make([]string, tokenPool)
	for i := range tokens {
		tok, err := r.token(r.name("conn", i))
		if err != nil {
			return err
		}
		tokens[i] = tok
	}
	// One check connection to each server first, so that a server that refuses
	// everyone fails the run instead of filling it with errors.
	for i := range r.specs {
		s, err := r.server(i).dial(ctx, idleHandler{}, tokens[0], r.name("room", 0))
		if err != nil {
			return fmt.Errorf("server %d: %w", i, err)
		}
		s.close()
	}

	var (
		done, failed atomic.Uint64
		next         atomic.Uint64
		lat          Histogram
		wg           sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := r.now()
	recordFrom := start + int64(o.Warmup)
	stopAt := recordFrom + int64(o.Duration)
	for w := range o.Concurrency {
		room, server := r.name("room", w), r.server(w)
		wg.Go(func() {
			for ctx.Err() == nil && r.now() < stopAt {
				t0 := r.now()
				tok := tokens[next.Add(1)%tokenPool]
				s, err := server.dial(ctx, idleHandler{}, tok, room)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
						r.errs.add("handshake", 1, err.Error())
					}
					continue
				}
				s.close()
				if t0 >= recordFrom && r.now() <= stopAt {
					done.Add(1)
					lat.Record(time.Duration(r.now() - t0))
				}
			}
		})
	}
	status := func() string {
		return fmt.Sprintf("%d handshakes measured, %d failed", done.Load(), failed.Load())
	}
	if hold(ctx, o.Progress, "warmup", o.Warmup, status) {
		win := startWindow(o)
		hold(ctx, o.Progress, "measure", o.Duration, status)
		win.end(res, r.errs)
		res.Connect = &ConnectResult{
			Concurrency: o.Concurrency, Handshakes: done.Load(),
			PerSec: perSecond(done.Load(), o.Duration), Failed: failed.Load(),
			Latency: lat.Summary(), TokenPoolSize: tokenPool,
		}
	}
	cancel()
	wg.Wait()
	if res.Connect == nil {
		return ctx.Err()
	}
	return nil
}
