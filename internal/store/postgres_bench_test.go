package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store"
)

// BenchmarkPostgresAppend measures durable, acknowledged appends with 1, 10 and 100
// concurrent senders spread over 10 rooms, each with a client message id: "group"
// is the store as Open makes it (writers batching appends into shared transactions),
// "writers=N" is group commit with N writers instead of the default, "direct" commits
// every append in a transaction of its own from its caller.
func BenchmarkPostgresAppend(b *testing.B) {
	modes := []struct {
		name    string
		writers int
	}{{"group", -1}, {"writers=1", 1}, {"writers=8", 8}, {"direct", 0}}
	for _, mode := range modes {
		for _, senders := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("%s/senders=%d", mode.name, senders), func(b *testing.B) {
				s := openPostgresBench(b, mode.writers)
				defer s.Close()
				benchAppends(b, s, senders)
			})
		}
	}
}

// openPostgresBench opens a store on a fresh schema with writers writers, or as Open
// does when writers is negative. The pool may hold 20 connections, so that direct
// appends are not limited by the pool's default size.
func openPostgresBench(b *testing.B, writers int) store.Store {
	b.Helper()
	dsn := strings.Replace(freshSchema(b), "pool_max_conns=4", "pool_max_conns=20", 1)
	var s store.Store
	var err error
	if writers < 0 {
		s, err = store.Open(context.Background(), dsn)
	} else {
		s, err = store.OpenPostgresWriters(context.Background(), dsn, writers)
	}
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	return s
}

// benchAppends runs b.N appends from senders goroutines and reports throughput, CPU
// time of this process per append and the p99 latency.
func benchAppends(b *testing.B, s store.Store, senders int) {
	lat := make([][]time.Duration, senders)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for g := range senders {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				m := store.Message{
					Room:            fmt.Sprint("room", g%10),
					Sender:          fmt.Sprint("user", g),
					Content:         benchContent,
					ClientMessageID: fmt.Sprintf("%016x", rand.Uint64()),
				}
				t0 := time.Now()
				if _, _, err := s.Append(context.Background(), m); err != nil {
					b.Error(err)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(p99(lat), "p99-ms")
}

// BenchmarkPostgresHistory measures history pages of 50 from a room of 20k messages.
func BenchmarkPostgresHistory(b *testing.B) {
	const total, page = 20_000, 50
	s := openPostgresBench(b, -1)
	defer s.Close()
	fill(b, s, "big", total)
	mustPage := func(msgs []store.Message, err error) {
		if err != nil || len(msgs) != page {
			b.Fatalf("page of %d, err %v", len(msgs), err)
		}
	}
	b.Run("Latest50", func(b *testing.B) {
		benchLatency(b, func(*rand.Rand) {
			msgs, _, err := s.Latest(context.Background(), "big", page)
			mustPage(msgs, err)
		})
	})
	b.Run("After50Parallel4", func(b *testing.B) {
		benchParallelLatency(b, 4, func(r *rand.Rand) {
			msgs, _, err := s.After(context.Background(), "big", r.Int64N(total-page), page)
			mustPage(msgs, err)
		})
	})
}
