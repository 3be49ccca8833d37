package chat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/store"
)

// fakeClock is a manual clock: timers fire, synchronously and in time order, only
// when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c     *fakeClock
	at    time.Time
	f     func()
	state int // 0 pending, 1 stopped, 2 fired; guarded by c.mu
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.state != 0 {
		return false
	}
	t.state = 1
	return true
}

// pending returns the number of timers neither stopped nor fired.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if t.state == 0 {
			n++
		}
	}
	return n
}

// Advance moves the clock by d, firing due timers in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	for {
		t := c.nextDueLocked(target)
		if t == nil {
			break
		}
		t.state = 2
		c.now = t.at
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
	}
	c.now = target
	c.mu.Unlock()
}

func (c *fakeClock) nextDueLocked(target time.Time) *fakeTimer {
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	for _, t := range c.timers {
		if t.state == 0 && !t.at.After(target) {
			return t
		}
	}
	return nil
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// testEnv is a service without sockets, on the in-memory store and a fake clock.
type testEnv struct {
	t     testing.TB
	svc   *Service
	clock *fakeClock
	store store.Store
	n     int
}

func newTestEnv(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	st, err := store.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	return newTestEnvStore(t, cfg, st)
}

func newTestEnvStore(t testing.TB, cfg Config, st store.Store) *testEnv {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	svc, err := newService(cfg, Deps{Store: st, Verifier: v, Logger: discardLogger()}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Close()
		_ = st.Close()
	})
	return &testEnv{t: t, svc: svc, clock: clk, store: st}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// connect returns a connected client of user, without a socket.
func (e *testEnv) connect(user string, roomsClaim ...string) *client {
	e.n++
	claims := &auth.Claims{Subject: user, Rooms: roomsClaim, ExpiresAt: e.clock.Now().Add(time.Hour)}
	if len(roomsClaim) == 0 {
		claims.Rooms = nil
	}
	c := newClient("sock"+string(rune('A'+e.n)), claims, nil, discardLogger())
	e.svc.connect(c)
	return c
}

// join joins c to room or fails the test.
func (e *testEnv) join(c *client, room string) joinResult {
	e.t.Helper()
	res, err := e.svc.join(c, rawJSON(`"`+room+`"`))
	if err != nil {
		e.t.Fatalf("join %s: %v", room, err)
	}
	return res
}

// send sends a message or fails the test.
func (e *testEnv) send(c *client, payload string) sendResult {
	e.t.Helper()
	res, err := e.svc.send(c, rawJSON(payload))
	if err != nil {
		e.t.Fatalf("send %s: %v", payload, err)
	}
	return res
}

func (e *testEnv) token(sub string, ttl time.Duration) string {
	e.t.Helper()
	tok, err := auth.Mint(testSecret, auth.MintOptions{Subject: sub, TTL: ttl})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func rawJSON(s string) []byte { return []byte(s) }

// failingStore fails every call, to check that server errors leak nothing.
type failingStore struct{ store.Store }

var errDiskOnFire = errors.New("disk on fire at /var/lib/secret")

func (failingStore) Append(context.Context, store.Message) (store.Message, bool, error) {
	return store.Message{}, false, errDiskOnFire
}

func (failingStore) Get(context.Context, string, string) (store.Message, error) {
	return store.Message{}, errDiskOnFire
}

func (failingStore) Latest(context.Context, string, int) ([]store.Message, bool, error) {
	return nil, false, errDiskOnFire
}
func (failingStore) Close() error { return nil }

// claimsFor returns claims of user "alice" expiring ttl from the clock's now.
func claimsFor(clk clock, ttl time.Duration) *auth.Claims {
	return &auth.Claims{Subject: "alice", ExpiresAt: clk.Now().Add(ttl)}
}

func sortStrings(s []string) { sort.Strings(s) }
