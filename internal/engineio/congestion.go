package engineio

import (
	"context"
	"fmt"
)

// Congestion is the send queue's high-water signal, for backpressure: a sender that
// can wait (a client publishing into a room) waits for congested receivers to drain,
// instead of filling their queues until they are cut as slow consumers.
//
// A session is congested once its backlog (queued packets plus the batch being
// written) reaches a quarter of SendQueue, and stays so until the backlog falls
// under half of that, so that waiters are not woken for every packet written.

func (c *settings) highWater() int { return max(1, c.sendQueue/4) }
func (c *settings) lowWater() int  { return c.highWater() / 2 }

// Congested reports whether the session's send backlog is above its high-water mark.
func (s *Session) Congested() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.congested
}

// WaitUncongested returns once the session is not congested (or is closed), or with
// ctx's error. It never sends anything itself: the session's writer drains the queue.
func (s *Session) WaitUncongested(ctx context.Context) error {
	s.mu.Lock()
	if !s.congested {
		s.mu.Unlock()
		return nil
	}
	if s.drained == nil {
		s.drained = make(chan struct{})
	}
	drained := s.drained
	s.mu.Unlock()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for session %s to drain: %w", s.id, ctx.Err())
	}
}

// CongestedSessions returns how many sessions are congested now: zero means that no
// sender has anything to wait for, which a caller can check before looking further.
func (s *Server) CongestedSessions() int { return int(s.stats.congested.Load()) }

// checkCongestionLocked updates the congested flag after the backlog changed.
func (s *Session) checkCongestionLocked() {
	backlog := len(s.queue) + s.inflight
	switch {
	case !s.congested && !s.closed && backlog >= s.srv.cfg.highWater():
		s.congested = true
		s.srv.stats.congested.Add(1)
	case s.congested && (s.closed || backlog < s.srv.cfg.lowWater()):
		s.congested = false
		s.srv.stats.congested.Add(-1)
		if s.drained != nil {
			close(s.drained)
			s.drained = nil
		}
	}
}
