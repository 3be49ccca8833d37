package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store"
)

// openBench opens a SQLite store in a fresh directory: under $STORE_BENCH_DIR when set
// (e.g. /dev/shm, to measure the code without the disk), else in the default temp dir.
func openBench(b *testing.B) store.Store {
	b.Helper()
	dir := b.TempDir()
	if base := os.Getenv("STORE_BENCH_DIR"); base != "" {
		var err error
		if dir, err = os.MkdirTemp(base, "storebench"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, "chat.db"))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	return s
}

// p99 reports the 99th percentile of all latencies in milliseconds.
func p99(perWorker [][]time.Duration) float64 {
	var all []time.Duration
	for _, l := range perWorker {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return 0
	}
	slices.Sort(all)
	return float64(all[len(all)*99/100]) / float64(time.Millisecond)
}

var benchContent = strings.Repeat("a chat message of typical length ", 3)

// BenchmarkSQLiteAppend measures durable, acknowledged appends with 1, 10 and 100
// concurrent senders spread over 10 rooms, each with a client message id.
func BenchmarkSQLiteAppend(b *testing.B) {
	for _, senders := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			s := openBench(b)
			defer s.Close()
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
							ClientMessageID: fmt.Sprintf("%016x", rand.Uint64()), // random, like the UUIDs clients send
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
		})
	}
}

// BenchmarkSQLiteHistory measures history pages of 50 from a room of 100k messages.
func BenchmarkSQLiteHistory(b *testing.B) {
	const total, page = 100_000, 50
	s := openBench(b)
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
	b.Run("After50", func(b *testing.B) {
		benchLatency(b, func(r *rand.Rand) {
			msgs, _, err := s.After(context.Background(), "big", r.Int64N(total-page), page)
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

// fill appends n messages to room from 100 concurrent senders.
func fill(b *testing.B, s store.Store, room string, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				m := store.Message{Room: room, Sender: fmt.Sprint("user", g), Content: benchContent}
				if _, _, err := s.Append(context.Background(), m); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func benchLatency(b *testing.B, op func(*rand.Rand)) {
	benchParallelLatency(b, 1, op)
}

// benchParallelLatency runs b.N ops from workers goroutines and reports their p99.
func benchParallelLatency(b *testing.B, workers int, op func(*rand.Rand)) {
	lat := make([][]time.Duration, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				op(r)
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(p99(lat), "p99-ms")
}
