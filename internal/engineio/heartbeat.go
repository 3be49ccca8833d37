package engineio

import "time"

// heartbeat is a session's ping state, driven by one runtime timer rather than a
// goroutine: the timer alternates between "send the next PING" (after PingInterval)
// and "the PONG is late" (after PingTimeout). Its fields are guarded by Session.mu.
type heartbeat struct {
	timer        *time.Timer
	due          time.Time // when the timer is meant to fire; earlier firings are stale
	awaitingPong bool
}

// resetLocked schedules the next firing d after the previous due time rather than
// after now, so that timer latency does not accumulate into the deadlines.
func (h *heartbeat) resetLocked(d time.Duration) {
	h.due = h.due.Add(d)
	h.timer.Reset(time.Until(h.due))
}

// pongOverdueLocked reports whether the PONG deadline has passed, even if the timer
// has not run yet: deadlines follow the schedule, not the timer's latency. Before
// the PING is sent, the deadline is the PING's due time plus pingTimeout.
func (h *heartbeat) pongOverdueLocked(now time.Time, pingTimeout time.Duration) bool {
	if h.timer == nil {
		return false
	}
	deadline := h.due
	if !h.awaitingPong {
		deadline = deadline.Add(pingTimeout)
	}
	return !now.Before(deadline)
}

func (h *heartbeat) stopLocked() {
	if h.timer != nil {
		h.timer.Stop()
	}
}

// startHeartbeat schedules the first PING.
func (s *Session) startHeartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	d := s.srv.cfg.pingInterval
	s.hb.due = time.Now().Add(d)
	s.hb.timer = time.AfterFunc(d, s.onHeartbeatTimer)
}

func (s *Session) onHeartbeatTimer() {
	s.mu.Lock()
	// A firing that raced with a reset (a PONG arrived meanwhile) is stale.
	if s.closed || time.Now().Before(s.hb.due) {
		s.mu.Unlock()
		return
	}
	if s.hb.awaitingPong {
		res := s.closeLocked(CloseReasonPingTimeout)
		s.mu.Unlock()
		s.finishClose(res)
		return
	}
	s.hb.awaitingPong = true
	s.enqueueLocked(packet{typ: packetPing})
	s.hb.resetLocked(s.srv.cfg.pingTimeout)
	s.mu.Unlock()
}

// onPong schedules the next PING once the client answered the last one.
func (s *Session) onPong() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.hb.awaitingPong {
		return
	}
	s.hb.awaitingPong = false
	s.hb.due = time.Now()
	s.hb.resetLocked(s.srv.cfg.pingInterval)
}
