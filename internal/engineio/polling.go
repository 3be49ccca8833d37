package engineio

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// pollingTransport is HTTP long-polling: the client parks a GET that the session
// answers with everything queued, and POSTs its own packets. No goroutine runs for
// an idle polling session: the parked GET is the request's own goroutine.
type pollingTransport struct {
	wait    chan struct{} // guarded by s.mu; wakes the parked GET, nil when none is parked
	posting bool          // guarded by s.mu; a POST is being read
}

func (t *pollingTransport) name() string { return transportPolling }

func (t *pollingTransport) wakeLocked() {
	if t.wait != nil {
		select {
		case t.wait <- struct{}{}:
		default:
		}
	}
}

func (t *pollingTransport) closeLocked(reason CloseReason) bool {
	if t.wait != nil {
		t.wakeLocked()
		return false
	}
	// No GET is parked. If the server closed the session, keep the sid known until
	// the client's next GET, so that it receives the last packets and CLOSE; if the
	// client sent CLOSE, its GET may be racing with that POST: let it end with NOOP.
	return reason == CloseReasonForced || reason == CloseReasonTransportClose
}

// servePollingHandshake opens a session on polling and answers with the OPEN packet.
func (s *Server) servePollingHandshake(w http.ResponseWriter, r *http.Request) {
	sess := newSession(s, newHandshake(r))
	sess.tr = &pollingTransport{}
	if !s.register(sess) {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	s.announce(sess.id) // before the OPEN: the next request may reach another server
	sess.accept()
	sess.startHeartbeat()
	s.cfg.setCookie(w, sess.id)
	open := packet{typ: packetOpen, data: s.cfg.openPacketData(sess.id, s.cfg.allowWebSocket)}
	sess.writePayload(w, []packet{open})
}

// servePolling serves a GET or POST of an existing session.
func (s *Session) servePolling(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.servePoll(w, r)
	case http.MethodPost:
		s.serveData(w, r)
	default:
		writeError(w, http.StatusBadRequest, errBadRequest)
	}
}

// pollingLocked returns the session's polling transport, or nil once it was
// upgraded to WebSocket (polling requests are then refused, as engine.io does).
func (s *Session) pollingLocked() *pollingTransport {
	t, _ := s.tr.(*pollingTransport)
	return t
}

// servePoll parks a GET until there is something to answer it with.
func (s *Session) servePoll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.pollingLocked()
	if t == nil {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	if s.hb.pongOverdueLocked(time.Now(), s.srv.cfg.pingTimeout) {
		res := s.closeLocked(CloseReasonPingTimeout)
		s.mu.Unlock()
		s.finishClose(res)
		writeError(w, http.StatusBadRequest, errUnknownSID)
		return
	}
	if t.wait != nil {
		// Two GETs at once is a client bug: close, which answers the parked GET.
		res := s.closeLocked(CloseReasonTransportError)
		s.mu.Unlock()
		s.finishClose(res)
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	wait := make(chan struct{}, 1)
	t.wait = wait
	s.mu.Unlock()
	s.parkPoll(w, r, t, wait)
}

// upgradeNoopDelay is how long a GET waits, once the probe was answered, before it
// is released with a NOOP. engine.io checks every 100ms; the wait lets an UPGRADE
// already on its way win, after which the GET is refused like any poll after the
// upgrade (a real client has no GET outstanding by then).
const upgradeNoopDelay = 100 * time.Millisecond

// pollAction is what a parked GET does next.
type pollAction int

const (
	pollWait   pollAction = iota // nothing to send yet
	pollAnswer                   // answer with the packets
	pollNoop                     // upgrading: answer NOOP after upgradeNoopDelay
	pollRefuse                   // upgraded: answer 400
)

func (s *Session) parkPoll(w http.ResponseWriter, r *http.Request, t *pollingTransport, wait chan struct{}) {
	var noop <-chan time.Time
	for {
		s.mu.Lock()
		act, pkts, final := s.pollLocked(t)
		if act == pollNoop && noop == nil {
			timer := time.NewTimer(upgradeNoopDelay)
			defer timer.Stop()
			noop = timer.C
		}
		if act == pollAnswer || act == pollRefuse {
			t.wait = nil
		}
		s.mu.Unlock()
		switch act {
		case pollAnswer:
			s.answerPoll(w, pkts, final)
			return
		case pollRefuse:
			writeError(w, http.StatusBadRequest, errBadRequest)
			return
		}
		select {
		case <-wait:
		case <-noop:
			s.mu.Lock()
			t.wait = nil
			s.mu.Unlock()
			s.answerPoll(w, []packet{{typ: packetNoop}}, false)
			return
		case <-r.Context().Done():
			s.mu.Lock()
			t.wait = nil
			res := s.closeLocked(CloseReasonTransportClose) // the client went away
			s.mu.Unlock()
			s.finishClose(res)
			return
		}
	}
}

// pollLocked decides what a parked GET does. final reports that pkts are the last
// answer of a closed session.
func (s *Session) pollLocked(t *pollingTransport) (act pollAction, pkts []packet, final bool) {
	switch {
	case s.closed && s.reason == CloseReasonTransportClose:
		// The client closed: end its GET cleanly, as engine.io does.
		return pollAnswer, []packet{{typ: packetNoop}}, true
	case s.closed:
		return pollAnswer, append(s.takeQueueLocked(), packet{typ: packetClose}), true
	case s.tr != t:
		return pollRefuse, nil, false
	case len(s.queue) > 0:
		return pollAnswer, s.takeQueueLocked(), false
	case s.up != nil && s.up.probed:
		return pollNoop, nil, false
	}
	return pollWait, nil, false
}

// answerPoll writes a GET's answer and recycles the queue slice it came from.
func (s *Session) answerPoll(w http.ResponseWriter, pkts []packet, final bool) {
	err := s.writePayload(w, pkts)
	s.srv.stats.out.Add(countMessages(pkts))
	s.mu.Lock()
	s.recycleLocked(pkts)
	s.mu.Unlock()
	if final {
		s.endLinger()
		return
	}
	if err != nil {
		s.closeWith(CloseReasonTransportError)
	}
}

func countMessages(pkts []packet) uint64 {
	var n uint64
	for _, p := range pkts {
		if p.typ == packetMessage {
			n++
		}
	}
	return n
}

// writePayload writes pkts as a polling response body.
func (s *Session) writePayload(w http.ResponseWriter, pkts []packet) error {
	body := encodePayload(pkts)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.srv.cfg.writeTimeout))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// errTooLarge reports a POST body over MaxPayload.
var errTooLarge = errors.New("payload too large")

// serveData reads a POST of packets from the client and acts on them in order.
func (s *Session) serveData(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.pollingLocked()
	switch {
	case t == nil:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	case s.closed:
		// A lingering session: its client has not yet seen the CLOSE.
		s.mu.Unlock()
		writeOK(w)
		return
	case t.posting:
		res := s.closeLocked(CloseReasonTransportError)
		s.mu.Unlock()
		s.finishClose(res)
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	t.posting = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		t.posting = false
		s.mu.Unlock()
	}()

	body, err := readBody(r, s.srv.cfg.maxPayload)
	if err != nil {
		s.closeWith(CloseReasonTransportError)
		if errors.Is(err, errTooLarge) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	if !s.handlePayload(body) {
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	writeOK(w)
}

// handlePayload acts on a POSTed payload. It reports false if the payload was
// malformed, in which case the session is closed.
func (s *Session) handlePayload(body []byte) bool {
	pkts, perr := decodePayload(body)
	s.rmu.Lock()
	for _, p := range pkts {
		if !s.handlePacket(p) {
			break
		}
	}
	s.rmu.Unlock()
	if perr != nil {
		s.srv.cfg.logger.Debug("engineio: bad polling payload", "sid", s.id, "err", perr)
		s.closeWith(CloseReasonParseError)
		return false
	}
	return true
}

// readBody reads a POST body of at most max bytes.
func readBody(r *http.Request, max int) ([]byte, error) {
	if r.ContentLength > int64(max) {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > max {
		return nil, errTooLarge
	}
	return body, nil
}

// writeOK acknowledges a POST the way engine.io does.
func writeOK(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}
