package chat

import (
	"testing"
	"time"
)

// TestLimitsMadeOnFirstUse checks that a connected user owns no bucket until an event
// needs one, and that a bucket made late limits like one made at connect: full at
// first use, then refusing past the burst.
func TestLimitsMadeOnFirstUse(t *testing.T) {
	env := newTestEnv(t, Config{RateJoins: 2, RateBurst: 3, RateMessages: 1})
	c := env.connect("alice")
	l := c.limits
	if l.messages != nil || l.typing != nil || l.joins != nil || l.recent != nil {
		t.Fatal("buckets made at connect")
	}
	env.clock.Advance(time.Hour) // a bucket made at connect would be full by now, no fuller
	env.join(c, "a")
	env.join(c, "b")
	if l.joins == nil || l.messages != nil || l.typing != nil {
		t.Fatal("the first join did not make exactly the join bucket")
	}
	_, err := env.svc.join(c, rawJSON(`"c"`))
	wantCode(t, err, TypeRateLimit, CodeRateLimited)
	if err.RetryAfterMs != 500 {
		t.Fatalf("retryAfterMs = %d, want 500", err.RetryAfterMs)
	}
	for i := range 3 {
		env.send(c, `{"roomId":"a","content":"x","clientMessageId":"m`+string(rune('0'+i))+`"}`)
	}
	_, err = env.svc.send(c, rawJSON(`{"roomId":"a","content":"x"}`))
	wantCode(t, err, TypeRateLimit, CodeRateLimited)
	// The memory of recent sends, made by the first one, still answers a re-send.
	res := env.send(c, `{"roomId":"a","content":"x","clientMessageId":"m0"}`)
	if res.message != nil {
		t.Fatal("a re-send while limited was broadcast again")
	}
}

// TestLimitsSharedBeforeFirstUse checks that two sockets of a user connected before
// any event share the buckets made later.
func TestLimitsSharedBeforeFirstUse(t *testing.T) {
	env := newTestEnv(t, Config{RateJoins: 1})
	phone, laptop := env.connect("alice"), env.connect("alice")
	env.join(phone, "a")
	_, err := env.svc.join(laptop, rawJSON(`"b"`))
	wantCode(t, err, TypeRateLimit, CodeRateLimited)
	if phone.limits.joinLimiter() != laptop.limits.joinLimiter() {
		t.Fatal("the devices made separate join buckets")
	}
}
