package chat

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
)

// TestExpiryQueueFiresEachAtItsDeadline arms many clients in random order, disarms
// some, and checks that each armed one expires once, at its own deadline, and that no
// timer is left.
func TestExpiryQueueFiresEachAtItsDeadline(t *testing.T) {
	clk := newFakeClock()
	start := clk.Now()
	var fired []string
	at := map[string]time.Time{}
	q := newExpiryQueue(clk, func(c *client) {
		if !clk.Now().Equal(at[c.id]) {
			t.Errorf("%s expired at %v, want %v", c.id, clk.Now(), at[c.id])
		}
		fired = append(fired, c.id)
	})
	rng := rand.New(rand.NewPCG(3, 4))
	var clients []*client
	for i := range 200 {
		c := testClient("u", fmt.Sprintf("s%03d", i))
		ttl := time.Duration(rng.IntN(100)) * time.Second // many equal deadlines too
		at[c.id] = start.Add(ttl)
		c.armExpiry(q, claimsFor(clk, ttl))
		clients = append(clients, c)
	}
	var want []string
	for i, c := range clients {
		if i%3 == 0 {
			c.stopExpiry()
			continue
		}
		want = append(want, c.id)
	}
	if q.len() != len(want) {
		t.Fatalf("%d armed, want %d", q.len(), len(want))
	}
	clk.Advance(time.Hour)
	slices.Sort(fired)
	if !slices.Equal(fired, want) {
		t.Fatalf("fired %d %v\nwant %d %v", len(fired), fired, len(want), want)
	}
	if q.len() != 0 || clk.pending() != 0 {
		t.Fatalf("left: %d armed, %d timers", q.len(), clk.pending())
	}
}

// TestExpiryQueueEarlierDeadlineRearms checks that a deadline earlier than every armed
// one is not held back by the timer armed for the later ones.
func TestExpiryQueueEarlierDeadlineRearms(t *testing.T) {
	clk := newFakeClock()
	var fired []string
	q := newExpiryQueue(clk, func(c *client) { fired = append(fired, c.id) })
	late, early := testClient("u", "late"), testClient("u", "early")
	late.armExpiry(q, claimsFor(clk, time.Minute))
	clk.Advance(10 * time.Second)
	early.armExpiry(q, claimsFor(clk, 5*time.Second))
	clk.Advance(5 * time.Second)
	if !slices.Equal(fired, []string{"early"}) {
		t.Fatalf("after 15s fired %v", fired)
	}
	clk.Advance(45 * time.Second)
	if !slices.Equal(fired, []string{"early", "late"}) {
		t.Fatalf("after 60s fired %v", fired)
	}
	// An already expired token expires at once, as a zero-delay timer would.
	now := testClient("u", "now")
	now.armExpiry(q, claimsFor(clk, -time.Minute))
	clk.Advance(0)
	if !slices.Equal(fired, []string{"early", "late", "now"}) {
		t.Fatalf("an expired token fired %v", fired)
	}
}

// TestExpiryQueueSkipsRefreshedInFlight checks that an expiry taken off the queue but
// not yet run is dropped when the token was refreshed meanwhile.
func TestExpiryQueueSkipsRefreshedInFlight(t *testing.T) {
	clk := newFakeClock()
	expired := 0
	var c *client
	q := newExpiryQueue(clk, func(*client) { expired++ })
	c = testClient("u", "s")
	c.armExpiry(q, claimsFor(clk, time.Minute))
	// Take the entry off as fire does, then refresh before its callback runs.
	q.mu.Lock()
	e := q.heap[0]
	q.removeRootLocked()
	q.mu.Unlock()
	c.armExpiry(q, claimsFor(clk, time.Hour))
	if c.expiryCurrent(e.gen) {
		t.Fatal("the refreshed client still accepts the old expiry")
	}
	clk.Advance(2 * time.Minute)
	if expired != 0 {
		t.Fatal("the refreshed token expired at the old deadline")
	}
	clk.Advance(time.Hour)
	if expired != 1 {
		t.Fatalf("expired %d times, want 1", expired)
	}
}

// TestExpiryQueueFarFutureToken checks that a token valid for centuries, whose
// deadline does not fit a Duration, waits instead of wrapping around and expiring now.
func TestExpiryQueueFarFutureToken(t *testing.T) {
	clk := newFakeClock()
	clk.Advance(time.Hour) // the deadline is counted from the queue's epoch
	expired := 0
	q := newExpiryQueue(clk, func(*client) { expired++ })
	clk.Advance(time.Hour)
	c := testClient("u", "s")
	c.armExpiry(q, &auth.Claims{Subject: "u", ExpiresAt: time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)})
	clk.Advance(100 * 365 * 24 * time.Hour)
	if expired != 0 || q.len() != 1 {
		t.Fatalf("a token valid until 9000 expired=%d armed=%d", expired, q.len())
	}
}

// TestExpiryQueueSystemClock runs the queue on real timers: each expiry fires once,
// in order, and a stopped one never.
func TestExpiryQueueSystemClock(t *testing.T) {
	clk := systemClock{}
	fired := make(chan string, 3)
	q := newExpiryQueue(clk, func(c *client) { fired <- c.id })
	a, b, gone := testClient("u", "a"), testClient("u", "b"), testClient("u", "gone")
	b.armExpiry(q, claimsFor(clk, 60*time.Millisecond))
	a.armExpiry(q, claimsFor(clk, 20*time.Millisecond))
	gone.armExpiry(q, claimsFor(clk, 40*time.Millisecond))
	gone.finish()
	for _, want := range []string{"a", "b"} {
		select {
		case got := <-fired:
			if got != want {
				t.Fatalf("fired %s, want %s", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s never expired", want)
		}
	}
	select {
	case got := <-fired:
		t.Fatalf("%s expired too", got)
	case <-time.After(50 * time.Millisecond):
	}
	if q.len() != 0 {
		t.Fatalf("%d left armed", q.len())
	}
}
