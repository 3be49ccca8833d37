package chat

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestReserveAndRetryAfter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := rate.NewLimiter(4, 2)
	for i := range 2 {
		if r, wait := reserve(l, now); r == nil || wait != 0 {
			t.Fatalf("token %d refused", i)
		}
	}
	r, wait := reserve(l, now)
	if r != nil || wait != 250*time.Millisecond {
		t.Fatalf("third token: %v %v", r, wait)
	}
	if got := l.TokensAt(now); got < -0.001 || got > 0.001 {
		t.Fatalf("a refused reservation kept its token: %v", got)
	}
	if e := rateLimited("x", 1500*time.Microsecond); e.RetryAfterMs != 2 || e.Type != TypeRateLimit {
		t.Fatalf("rateLimited rounds to %d", e.RetryAfterMs)
	}
}

func TestConnLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	cl := newConnLimiter(1) // burst 2
	for i := range 2 {
		if d := cl.allow("10.0.0.1", now); d != 0 {
			t.Fatalf("connection %d refused", i)
		}
	}
	if d := cl.allow("10.0.0.1", now); d != time.Second {
		t.Fatalf("third connection: wait %v", d)
	}
	if d := cl.allow("10.0.0.2", now); d != 0 {
		t.Fatal("another IP was limited")
	}
	for i := range 3 * connSweepMin {
		cl.allow(fmt.Sprintf("192.0.2.%d", i), now.Add(time.Duration(i)*time.Second))
	}
	cl.mu.Lock()
	n := len(cl.m)
	cl.mu.Unlock()
	if n > 2*connSweepMin {
		t.Fatalf("%d buckets kept; quiet addresses were not swept", n)
	}
}

func TestHostOf(t *testing.T) {
	for addr, want := range map[string]string{
		"10.1.2.3:5555": "10.1.2.3", "[::1]:80": "::1", "unix": "unix", "": "",
	} {
		if got := hostOf(addr); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestFloodCounter(t *testing.T) {
	var f floodCounter
	now := time.Unix(1000, 0)
	for i := range 3 {
		if f.note(now.Add(time.Duration(i)*time.Second), 3) {
			t.Fatalf("flagged at %d", i+1)
		}
	}
	if !f.note(now.Add(3*time.Second), 3) {
		t.Fatal("4th refusal within the window not flagged")
	}
	if f.note(now.Add(20*time.Second), 3) {
		t.Fatal("window did not reset")
	}
}
