package broker

import (
	"context"
	"sync"
	"time"
)

// subscribeTimeout bounds one SUBSCRIBE or UNSUBSCRIBE round. A failed one is not
// retried: go-redis keeps the channel set and subscribes it again on reconnect.
const subscribeTimeout = 5 * time.Second

// subscriptions records which channels the node wants, for subscribeLoop to apply.
// Membership changes only mark channels dirty and wake the loop, so they never wait
// for Redis, and a join quickly undone by a leave costs at most one round trip.
type subscriptions struct {
	mu    sync.Mutex
	want  map[string]struct{} // guarded by mu: channels to be subscribed
	dirty map[string]struct{} // guarded by mu: channels changed since the last apply
	wake  chan struct{}       // capacity 1: dirty is not empty
}

func (s *subscriptions) init() {
	s.want = make(map[string]struct{})
	s.dirty = make(map[string]struct{})
	s.wake = make(chan struct{}, 1)
}

// set records whether channel is wanted and wakes the loop.
func (s *subscriptions) set(channel string, want bool) {
	s.mu.Lock()
	if want {
		s.want[channel] = struct{}{}
	} else {
		delete(s.want, channel)
	}
	s.dirty[channel] = struct{}{}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take empties the dirty set and splits it into channels to subscribe and to
// unsubscribe.
func (s *subscriptions) take() (sub, unsub []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.dirty {
		if _, ok := s.want[ch]; ok {
			sub = append(sub, ch)
		} else {
			unsub = append(unsub, ch)
		}
	}
	clear(s.dirty)
	return sub, unsub
}

// subscribeLoop applies subscription changes until the adapter closes.
func (a *RedisAdapter) subscribeLoop() {
	defer a.wg.Done()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.subs.wake:
		}
		sub, unsub := a.subs.take()
		a.applySubscriptions(sub, unsub)
	}
}

func (a *RedisAdapter) applySubscriptions(sub, unsub []string) {
	ctx, cancel := context.WithTimeout(a.ctx, subscribeTimeout)
	defer cancel()
	// Empty lists must be skipped: UNSUBSCRIBE without channels drops them all.
	if len(sub) > 0 {
		if err := a.pubsub.Subscribe(ctx, sub...); err != nil {
			a.log.Debug("subscribe deferred to reconnect", "channels", len(sub), "err", err)
		}
	}
	if len(unsub) > 0 {
		if err := a.pubsub.Unsubscribe(ctx, unsub...); err != nil {
			a.log.Debug("unsubscribe deferred to reconnect", "channels", len(unsub), "err", err)
		}
	}
}
