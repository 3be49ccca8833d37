package engineio

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Errors returned by Session.Send.
var (
	ErrSessionClosed = errors.New("engineio: session closed")
	ErrSlowConsumer  = errors.New("engineio: send queue full, session closed")
)

// transport carries a session's packets over one kind of connection. Both methods
// are called with Session.mu held and must not block.
type transport interface {
	name() string
	// wakeLocked tells the transport that the session has packets queued or has
	// changed state (closed, upgrading).
	wakeLocked()
	// closeLocked tells the transport that the session closed for reason. It reports
	// whether the session must stay findable by its sid for a while, so that a
	// client's next poll can still fetch the final packets.
	closeLocked(reason CloseReason) (linger bool)
}

// Session is one Engine.IO connection, whatever transport carries it now.
// Its methods are safe for concurrent use.
type Session struct {
	id  string
	hs  handshakeRecord
	srv *Server

	// rmu serializes inbound delivery, which can come from polling POSTs and, during
	// and after an upgrade, from the WebSocket read loop.
	rmu sync.Mutex

	mu          sync.Mutex
	recv        Receiver    // guarded by mu; set when Handler.Accept returns
	tr          transport   // guarded by mu; the transport carrying the session now
	queue       []packet    // guarded by mu; packets waiting to be written by tr
	spare       []packet    // guarded by mu; an emptied queue kept for reuse
	closed      bool        // guarded by mu
	reason      CloseReason // guarded by mu; why the session closed
	dispatching bool        // guarded by mu; a Receiver method (or Accept) is running
	owedClose   bool        // guarded by mu; closed while dispatching: the dispatcher calls OnClose
	// owedWake is set when messages were queued while dispatching: the transport is
	// woken once the Receiver method returns, so that everything a handler sends (an
	// event, its ack, a sync's fifty messages) leaves in one write, not one each.
	owedWake    bool        // guarded by mu
	corks       int         // guarded by mu; Cork calls not yet matched by Uncork
	lingerTimer *time.Timer // guarded by mu; ends the wait for a final poll
	hb          heartbeat   // guarded by mu
	up          *upgrade    // guarded by mu; the WebSocket probing to replace polling

	inflight  int           // guarded by mu; packets taken by a writer, not yet written
	congested bool          // guarded by mu; see congestion.go
	drained   chan struct{} // guarded by mu; closed when congestion ends; nil without waiters
}

func newSession(srv *Server, r handshakeRecord) *Session {
	return &Session{id: newSID(), hs: r, srv: srv}
}

// ID returns the session id ("sid").
func (s *Session) ID() string { return s.id }

// Handshake returns the request that opened the session. The session keeps it in a
// compact form: each call builds a new Handshake, which the caller may keep or modify.
func (s *Session) Handshake() *Handshake { return s.hs.handshake() }

// Transport returns "polling" or "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tr.name()
}

// Send queues msgs to be written in order, adjacent to each other (a Socket.IO binary
// packet and its attachments must not be interleaved with other messages). It never
// blocks on the network. It returns an error if the session is closed, or if the queue
// would exceed Config.SendQueue, in which case the session is closed with
// CloseReasonSlowConsumer (its OnClose then runs on a goroutine of its own, never on
// the sender's).
func (s *Session) Send(msgs ...Message) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	if len(s.queue)+len(msgs) > s.srv.cfg.sendQueue {
		res := s.closeLocked(CloseReasonSlowConsumer)
		s.mu.Unlock()
		// OnClose must not run on the sender's goroutine: a broadcaster may hold
		// locks that the Receiver needs.
		go s.finishClose(res)
		return ErrSlowConsumer
	}
	wasEmpty := len(s.queue) == 0
	if s.queue == nil {
		s.queue, s.spare = s.spare, nil
	}
	for _, m := range msgs {
		s.queue = append(s.queue, packet{typ: packetMessage, data: m.Data, binary: m.Binary})
	}
	if wasEmpty && len(s.queue) > 0 {
		if s.dispatching || s.corks > 0 {
			s.owedWake = true
		} else {
			s.tr.wakeLocked()
		}
	}
	s.checkCongestionLocked()
	s.mu.Unlock()
	return nil
}

// Cork holds back what Send queues until the matching Uncork, so that messages sent
// one after the other (say, the receipts of one commit) leave in one write instead of
// one each. Corks nest. Control packets and a closing session are not held back.
func (s *Session) Cork() {
	s.mu.Lock()
	s.corks++
	s.mu.Unlock()
}

// Uncork ends a Cork; the last one writes what was held back.
func (s *Session) Uncork() {
	s.mu.Lock()
	s.corks--
	if s.corks == 0 && !s.dispatching {
		s.payOwedWakeLocked()
	}
	s.mu.Unlock()
}

// Flush writes what Send has queued so far now, even inside a Receiver method or
// under a Cork; what is sent after it leaves in a later write. A CONNECT reply uses
// it so that the client has its answer before the server's connect handler runs,
// as with socket.io, whose next packets wait for the previous write to complete.
func (s *Session) Flush() {
	s.mu.Lock()
	s.payOwedWakeLocked()
	s.mu.Unlock()
}

// payOwedWakeLocked wakes the transport for messages queued while dispatching or
// corked.
func (s *Session) payOwedWakeLocked() {
	if s.owedWake {
		s.owedWake = false
		if !s.closed && len(s.queue) > 0 {
			s.tr.wakeLocked()
		}
	}
}

// Close ends the session: queued messages are flushed on a best-effort basis, then the
// transport is closed. The Receiver's OnClose gets CloseReasonForced.
//
// OnClose runs on the goroutine calling Close, before Close returns; when Close is
// called from inside a Receiver method, OnClose follows once that method returns. On
// polling, a client with no GET outstanding gets the flushed messages and the CLOSE
// packet on its next GET (the sid stays known for up to PingTimeout for that).
func (s *Session) Close() { s.closeWith(CloseReasonForced) }

// enqueueLocked queues a control packet.
func (s *Session) enqueueLocked(p packet) {
	if s.queue == nil {
		s.queue, s.spare = s.spare, nil
	}
	s.queue = append(s.queue, p)
	if len(s.queue) == 1 {
		s.tr.wakeLocked()
	}
}

// takeQueueLocked hands the queued packets to a writer, which gives the slice back
// with recycleLocked once written.
func (s *Session) takeQueueLocked() []packet {
	q := s.queue
	s.queue = nil
	s.inflight = len(q)
	return q
}

// maxSpare bounds the queue capacity kept between bursts, so that an idle session
// does not hold on to the memory of its largest burst.
const maxSpare = 32

func (s *Session) recycleLocked(q []packet) {
	s.inflight = 0
	s.checkCongestionLocked()
	if cap(q) > maxSpare || s.spare != nil {
		return
	}
	clear(q) // drop references to message bytes
	s.spare = q[:0]
}

// closeResult is what closeLocked leaves to do once Session.mu is released.
type closeResult struct {
	done   bool // this call closed the session
	notify bool // the caller must call OnClose
	linger bool // keep the sid findable for a final poll
	reason CloseReason
	recv   Receiver
}

// closeWith closes the session for reason, unless it is closed already.
func (s *Session) closeWith(reason CloseReason) {
	s.mu.Lock()
	res := s.closeLocked(reason)
	s.mu.Unlock()
	s.finishClose(res)
}

// closeLocked marks the session closed and tells its transports.
func (s *Session) closeLocked(reason CloseReason) closeResult {
	if s.closed {
		return closeResult{}
	}
	s.closed, s.reason = true, reason
	s.checkCongestionLocked() // releases the waiters
	s.hb.stopLocked()
	s.abortUpgradeLocked()
	res := closeResult{done: true, reason: reason, recv: s.recv}
	// While a Receiver method runs, the dispatcher delivers OnClose when it returns,
	// so that OnClose never runs concurrently with OnMessage.
	res.notify = !s.dispatching
	s.owedClose = s.dispatching
	res.linger = s.tr.closeLocked(reason)
	if res.linger {
		s.lingerTimer = time.AfterFunc(s.srv.cfg.pingTimeout, s.endLinger)
	}
	return res
}

// finishClose does the part of closing that must not hold Session.mu.
func (s *Session) finishClose(res closeResult) {
	if !res.done {
		return
	}
	s.srv.stats.closed[res.reason].Add(1)
	level := slog.LevelDebug
	if res.reason == CloseReasonSlowConsumer {
		// A client cut for not reading is an operator's concern (a bad network, an
		// undersized send queue), unlike the ordinary comings and goings.
		level = slog.LevelWarn
	}
	s.srv.cfg.logger.Log(context.Background(), level, "engineio: session closed",
		"sid", s.id, "reason", res.reason.String(), "transport", s.Transport())
	if res.notify {
		res.recv.OnClose(res.reason)
	}
	// Removed after OnClose, so that Shutdown returns once the Receivers know.
	if !res.linger {
		s.srv.remove(s)
	}
}

// endLinger forgets a closed session that was waiting for a final poll.
func (s *Session) endLinger() {
	s.mu.Lock()
	t := s.lingerTimer
	s.lingerTimer = nil
	s.mu.Unlock()
	if t != nil {
		t.Stop()
		s.srv.remove(s)
	}
}
