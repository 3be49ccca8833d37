package chat

import (
	"math"
	"sync"
	"time"
)

// expiryQueue runs the token expiry of every client of a service from one timer. A
// runtime timer and its closure per socket cost an idle socket about 150 bytes; the
// queue keeps 24 bytes per socket in a min-heap ordered by deadline and one timer
// armed for the earliest. Deadlines are durations since the queue's epoch on the
// clock, so they keep the monotonic time a per-socket AfterFunc would have used.
type expiryQueue struct {
	clock   clock
	epoch   time.Time
	expired func(*client) // called, in its own timer callback, for a client whose token expired

	mu       sync.Mutex
	heap     []expiryEntry // guarded by mu; min-heap by at; client.expirySlot is 1 + index
	timer    stopper       // guarded by mu; armed while heap is not empty
	timerAt  time.Duration // guarded by mu; when timer fires
	timerGen uint64        // guarded by mu; generation of timer, to ignore stopped ones
}

// expiryEntry is one armed expiry: gen is the client's expiryN when it was armed.
type expiryEntry struct {
	c   *client
	at  time.Duration
	gen uint64
}

func newExpiryQueue(clk clock, expired func(*client)) *expiryQueue {
	return &expiryQueue{clock: clk, epoch: clk.Now(), expired: expired}
}

// since returns t as a duration since the queue's epoch.
func (q *expiryQueue) since(t time.Time) time.Duration { return t.Sub(q.epoch) }

// add arms c's expiry of generation gen at deadline. c must not be queued.
func (q *expiryQueue) add(c *client, deadline time.Time, gen uint64) {
	now := q.clock.Now()
	at := addSaturating(q.since(now), max(deadline.Sub(now), 0))
	q.mu.Lock()
	defer q.mu.Unlock()
	q.heap = append(q.heap, expiryEntry{c: c, at: at, gen: gen})
	q.up(len(q.heap) - 1)
	if q.timer == nil || at < q.timerAt {
		q.armLocked(now)
	}
}

// addSaturating returns a+b for b >= 0, capped where it would overflow: a token valid
// for centuries (Sub saturates too) must not wrap around to a deadline in the past.
func addSaturating(a, b time.Duration) time.Duration {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// remove disarms c's expiry, if it is queued.
func (q *expiryQueue) remove(c *client) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := int(c.expirySlot) - 1
	if i < 0 {
		return
	}
	last := len(q.heap) - 1
	q.swap(i, last)
	q.heap[last] = expiryEntry{}
	q.heap = q.heap[:last]
	c.expirySlot = 0
	if i < last {
		q.down(i)
		q.up(i)
	}
	if len(q.heap) == 0 {
		q.stopLocked()
	}
}

// armLocked (re)arms the timer for the earliest deadline.
func (q *expiryQueue) armLocked(now time.Time) {
	q.stopLocked()
	q.timerGen++
	gen, at := q.timerGen, q.heap[0].at
	q.timerAt = at
	q.timer = q.clock.AfterFunc(max(at-q.since(now), 0), func() { q.fire(gen) })
}

func (q *expiryQueue) stopLocked() {
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	if len(q.heap) == 0 {
		q.heap = nil // a burst of sockets gone leaves no backing array behind
	}
}

// fire takes every due entry off the heap and re-arms the timer for the rest. Each
// expiry runs in its own callback, as with a timer per socket, and outside q.mu,
// since expiring a socket disconnects it, which removes it from the queue.
func (q *expiryQueue) fire(gen uint64) {
	now := q.clock.Now()
	q.mu.Lock()
	if gen != q.timerGen {
		q.mu.Unlock()
		return // a stopped timer that fired anyway
	}
	q.timer = nil
	var due []expiryEntry
	for len(q.heap) > 0 && q.heap[0].at <= q.since(now) {
		due = append(due, q.heap[0])
		q.removeRootLocked()
	}
	if len(q.heap) > 0 {
		q.armLocked(now)
	} else {
		q.heap = nil
	}
	q.mu.Unlock()
	for _, e := range due {
		q.clock.AfterFunc(0, func() {
			if e.c.expiryCurrent(e.gen) {
				q.expired(e.c)
			}
		})
	}
}

func (q *expiryQueue) removeRootLocked() {
	root := q.heap[0].c
	last := len(q.heap) - 1
	q.swap(0, last)
	q.heap[last] = expiryEntry{}
	q.heap = q.heap[:last]
	root.expirySlot = 0
	if last > 0 {
		q.down(0)
	}
}

// len returns the number of armed expiries.
func (q *expiryQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.heap)
}

func (q *expiryQueue) swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.heap[i].c.expirySlot = int32(i + 1)
	q.heap[j].c.expirySlot = int32(j + 1)
}

func (q *expiryQueue) up(i int) {
	q.heap[i].c.expirySlot = int32(i + 1)
	for i > 0 {
		parent := (i - 1) / 2
		if q.heap[parent].at <= q.heap[i].at {
			return
		}
		q.swap(i, parent)
		i = parent
	}
}

func (q *expiryQueue) down(i int) {
	n := len(q.heap)
	for {
		least := i
		if l := 2*i + 1; l < n && q.heap[l].at < q.heap[least].at {
			least = l
		}
		if r := 2*i + 2; r < n && q.heap[r].at < q.heap[least].at {
			least = r
		}
		if least == i {
			return
		}
		q.swap(i, least)
		i = least
	}
}
