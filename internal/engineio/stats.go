package engineio

import "sync/atomic"

// Stats is a snapshot of a Server's counters since it started.
type Stats struct {
	SessionsOpened uint64 // successful handshakes
	Upgrades       uint64 // polling sessions moved to WebSocket
	MessagesIn     uint64 // MESSAGE packets delivered to Receivers
	MessagesOut    uint64 // MESSAGE packets written to the network

	// SessionsCongested is how many sessions have a send backlog above the high-water
	// mark now (a gauge): clients falling behind, before any is cut as a slow consumer.
	SessionsCongested int64

	// Sessions closed, by reason.
	ClosedTransportClose uint64
	ClosedTransportError uint64
	ClosedPingTimeout    uint64
	ClosedParseError     uint64
	ClosedForced         uint64
	ClosedSlowConsumer   uint64
	ClosedServerShutdown uint64
}

// SessionsClosed returns the number of sessions closed for any reason.
func (st Stats) SessionsClosed() uint64 {
	return st.ClosedTransportClose + st.ClosedTransportError + st.ClosedPingTimeout +
		st.ClosedParseError + st.ClosedForced + st.ClosedSlowConsumer + st.ClosedServerShutdown
}

// counters are the live, lock-free counters behind Stats.
type counters struct {
	opened   atomic.Uint64
	upgrades atomic.Uint64
	in       atomic.Uint64
	out      atomic.Uint64
	// congested counts the sessions congested now (a gauge, not in Stats).
	congested atomic.Int64
	closed    [numCloseReasons]atomic.Uint64
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		SessionsOpened:       c.opened.Load(),
		Upgrades:             c.upgrades.Load(),
		MessagesIn:           c.in.Load(),
		MessagesOut:          c.out.Load(),
		SessionsCongested:    c.congested.Load(),
		ClosedTransportClose: c.closed[CloseReasonTransportClose].Load(),
		ClosedTransportError: c.closed[CloseReasonTransportError].Load(),
		ClosedPingTimeout:    c.closed[CloseReasonPingTimeout].Load(),
		ClosedParseError:     c.closed[CloseReasonParseError].Load(),
		ClosedForced:         c.closed[CloseReasonForced].Load(),
		ClosedSlowConsumer:   c.closed[CloseReasonSlowConsumer].Load(),
		ClosedServerShutdown: c.closed[CloseReasonServerShutdown].Load(),
	}
}
