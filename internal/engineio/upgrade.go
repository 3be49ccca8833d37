package engineio

import (
	"net/http"
	"time"
)

// upgrade is a WebSocket probing to replace a session's polling transport. Its
// fields are guarded by Session.mu.
//
// The sequence, as engine.io runs it: the client opens a WebSocket with the sid and
// sends PING "probe"; the server answers PONG "probe" and releases any parked GET
// with a NOOP (so does every GET until the upgrade ends); the client sends UPGRADE,
// and from then on the session's queue is written to the WebSocket while polling
// requests for the sid are refused.
type upgrade struct {
	ws     *wsTransport // nil while the WebSocket handshake is in progress
	probed bool         // the probe PING arrived and was answered
	timer  *time.Timer  // aborts the upgrade after Config.UpgradeTimeout
}

// serveUpgrade starts probing a WebSocket for a polling session.
func (s *Server) serveUpgrade(w http.ResponseWriter, r *http.Request, sess *Session) {
	if r.Method != http.MethodGet || !isWebSocketRequest(r) {
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	up := sess.reserveUpgrade()
	t, accept, err := s.upgrade(w, r, sess)
	if err == nil {
		if err = t.writeOpening(accept); err != nil {
			t.closeNet()
		}
	}
	if err == nil && up == nil {
		// The session is already on (or moving to) WebSocket. Like engine.io, complete
		// the handshake and close at once: the protocol test suite expects a clean
		// close rather than an HTTP error.
		t.closeConn()
		return
	}
	if err != nil {
		sess.mu.Lock()
		if sess.up == up {
			sess.up = nil
		}
		sess.mu.Unlock()
		return
	}
	if !sess.startProbe(up, t) {
		t.closeNet()
		return
	}
	t.startReading()
}

// reserveUpgrade claims the session's single upgrade slot, or returns nil if the
// session cannot be upgraded (closed, already on WebSocket, or upgrading).
func (s *Session) reserveUpgrade() *upgrade {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.pollingLocked() == nil || s.up != nil {
		return nil
	}
	s.up = &upgrade{}
	return s.up
}

// startProbe binds the upgraded connection to the reserved upgrade, unless the
// upgrade was aborted meanwhile.
func (s *Session) startProbe(up *upgrade, t *wsTransport) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.up != up {
		return false
	}
	up.ws = t
	up.timer = time.AfterFunc(s.srv.cfg.upgradeTimeout, func() { s.abortUpgrade(t) })
	return true
}

// onProbeFrame handles a frame of a WebSocket that is not yet the session's transport.
func (s *Session) onProbeFrame(t *wsTransport, binary bool, data []byte) {
	text := !binary
	switch {
	case text && string(data) == string(packetPing)+probe:
		s.answerProbe(t)
	case text && string(data) == string(packetUpgrade):
		s.completeUpgrade(t)
	default:
		// Anything else on a probe aborts the upgrade, as engine.io does.
		s.abortUpgrade(t)
	}
}

func (s *Session) answerProbe(t *wsTransport) {
	s.mu.Lock()
	up := s.up
	ok := up != nil && up.ws == t
	s.mu.Unlock()
	if !ok {
		return
	}
	// The PONG goes first: the client pauses polling only once it has it.
	if err := t.writeText(string(packetPong) + probe); err != nil {
		s.abortUpgrade(t)
		return
	}
	s.mu.Lock()
	if s.up == up {
		up.probed = true
		s.tr.wakeLocked() // a parked GET answers NOOP
	}
	s.mu.Unlock()
}

// completeUpgrade makes t the session's transport and flushes the queue to it.
func (s *Session) completeUpgrade(t *wsTransport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	up := s.up
	if up == nil || up.ws != t {
		t.closeNet() // a stale probe
		return
	}
	if !up.probed {
		s.abortUpgradeLocked()
		return
	}
	up.timer.Stop()
	s.up = nil
	old := s.tr
	s.tr = t
	t.active.Store(true)
	old.wakeLocked() // a GET still parked answers NOOP
	s.srv.stats.upgrades.Add(1)
	if len(s.queue) > 0 {
		t.wakeLocked()
	}
}

// abortUpgrade gives up the upgrade through t, if it is still the current one.
func (s *Session) abortUpgrade(t *wsTransport) {
	s.mu.Lock()
	if s.up != nil && s.up.ws == t {
		s.abortUpgradeLocked()
	}
	s.mu.Unlock()
}

// abortUpgradeLocked drops the current upgrade, if any, and closes its WebSocket.
// The session stays on polling.
func (s *Session) abortUpgradeLocked() {
	up := s.up
	if up == nil {
		return
	}
	s.up = nil
	if up.timer != nil {
		up.timer.Stop()
	}
	if up.ws != nil {
		up.ws.closeNet() // does not block; ends the probe's read loop
	}
}
