package engineio

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// wsTransport is a WebSocket connection: text frames are Engine.IO packets, binary
// frames are binary MESSAGEs. The opening handshake (wshandshake.go) runs on the HTTP
// handler, which then returns, so that net/http's per-request memory is freed. Reading
// is the poller's (poller.go): an idle connection has no goroutine, and a reader takes
// it when bytes arrive; connections it cannot wait for have a read loop goroutine of
// their own (wsread.go).
//
// Outbound packets are framed here, rather than by a WebSocket library, so that everything queued goes out
// in one write. When the queue goes from empty to non-empty, the sender's goroutine
// tries a non-blocking write (wsConn.tryWrite); only when the socket cannot take it
// all does a writer goroutine start, which drains the queue in batches: one write
// syscall and one write deadline per batch, however many packets it holds.
type wsTransport struct {
	s       *Session
	nc      *wsConn
	rs      wsReadState // the read loop's (see wsread.go)
	active  atomic.Bool // the session's transport (false while it is an upgrade probe)
	writing bool        // guarded by s.mu; a drain goroutine is running
	pollID  uint64      // guarded by the poller's mutex; 0 when not on the poller
}

// upgrade checks r as a WebSocket opening handshake and takes over its connection
// for a new transport of sess. It returns the Sec-WebSocket-Accept value: the caller
// writes the 101 response (writeOpening), alone or with the session's first packet.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, sess *Session) (*wsTransport, string, error) {
	accept, err := checkWebSocketHandshake(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, errBadRequest)
		return nil, "", err
	}
	hijacked, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, "", fmt.Errorf("hijack connection: %w", err)
	}
	nc := newWSConn(hijacked)
	// Bytes the client sent right behind its request (its first frames) are in
	// net/http's buffer, which is dropped: keep them.
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		nc.preload(early)
	}
	return &wsTransport{s: sess, nc: nc}, accept, nil
}

// writeOpening writes the 101 response that accepts the handshake, followed by
// first (frames already encoded; may be empty), in one write.
func (t *wsTransport) writeOpening(accept string, first ...packet) error {
	buf := getWriteBuf()
	defer putWriteBuf(buf)
	b := appendFrames(appendSwitchingProtocols((*buf)[:0], accept), first)
	*buf = b
	switch t.nc.tryWrite(b) {
	case tryWritten:
		return nil
	case tryPartial:
		b = nil // the rest is pending in nc: flush it
	}
	if err := t.nc.writeFrames(b, t.s.srv.cfg.writeTimeout); err != nil {
		return fmt.Errorf("write handshake response: %w", err)
	}
	return nil
}

// serveWebSocketHandshake opens a session directly on WebSocket and starts reading.
func (s *Server) serveWebSocketHandshake(w http.ResponseWriter, r *http.Request) {
	sess := newSession(s, newHandshake(r))
	t, accept, err := s.upgrade(w, r, sess)
	if err == nil {
		// The 101 and OPEN leave together: one write, one packet on the wire.
		err = t.writeOpening(accept, packet{typ: packetOpen, data: s.cfg.openPacketData(sess.id, false)})
		if err != nil {
			t.closeNet()
		}
	}
	if err != nil {
		s.cfg.logger.Debug("engineio: websocket handshake failed", "err", err)
		return
	}
	t.active.Store(true)
	sess.tr = t
	if !s.register(sess) {
		t.closeConn()
		return
	}
	sess.accept()
	sess.startHeartbeat()
	t.startReading()
}

func (t *wsTransport) name() string { return transportWebSocket }

func (t *wsTransport) wakeLocked() {
	if t.writing || (!t.s.closed && t.tryWriteLocked()) {
		return
	}
	t.writing = true
	go t.drain()
}

// tryWriteLocked writes the whole queue without blocking, from the goroutine that
// filled it. It reports whether the queue is written; when it is not, the packets
// left (or the unsent bytes wsConn keeps) are the drain goroutine's.
func (t *wsTransport) tryWriteLocked() bool {
	s := t.s
	size := 0
	for _, p := range s.queue {
		size += frameLen(p)
	}
	if size > maxInlineWrite || t.nc.raw == nil {
		return false
	}
	buf := getWriteBuf()
	b := appendFrames((*buf)[:0], s.queue)
	res := t.nc.tryWrite(b)
	*buf = b
	putWriteBuf(buf)
	if res == tryNotWritten {
		return false
	}
	s.srv.stats.out.Add(countMessages(s.queue))
	s.recycleLocked(s.takeQueueLocked())
	return res == tryWritten
}

// appendFrames appends the frames of packets to dst.
func appendFrames(dst []byte, packets []packet) []byte {
	for _, p := range packets {
		dst = appendFrame(dst, p)
	}
	return dst
}

func (t *wsTransport) closeLocked(reason CloseReason) bool {
	if !flushesOnClose(reason) {
		t.s.queue = nil
		if t.writing {
			// The writer may be stuck on a client that does not read (the slow
			// consumer case): unblock it rather than wait for WriteTimeout.
			t.closeNet()
			return false
		}
	}
	t.wakeLocked() // the writer closes the connection once the queue is drained
	return false
}

// flushesOnClose reports whether queued packets are still written after a close
// for reason: only when the server closes a healthy connection.
func flushesOnClose(reason CloseReason) bool {
	return reason == CloseReasonForced || reason == CloseReasonServerShutdown
}

// drain writes queued packets in batches until the queue is empty (and no bytes of a
// partial non-blocking write are left), then exits; once the session is closed it
// closes the connection.
func (t *wsTransport) drain() {
	s := t.s
	for {
		s.mu.Lock()
		batch := s.takeQueueLocked()
		if len(batch) == 0 && !t.nc.hasPending.Load() {
			t.writing = false
			closed := s.closed
			s.mu.Unlock()
			if closed {
				t.closeConn()
			}
			return
		}
		s.mu.Unlock()
		err := t.writeBatch(batch)
		s.mu.Lock()
		s.recycleLocked(batch)
		s.mu.Unlock()
		if err != nil {
			// writing stays set: no other writer may start on this connection.
			s.closeWith(CloseReasonTransportError)
			t.closeConn()
			return
		}
	}
}

// writeBatch writes the packets (after any bytes left by a partial non-blocking
// write) in as few writes as chunks of maxPooledBuf allow: usually one.
func (t *wsTransport) writeBatch(batch []packet) error {
	buf := getWriteBuf()
	defer putWriteBuf(buf)
	timeout := t.s.srv.cfg.writeTimeout
	for first := true; first || len(batch) > 0; first = false {
		b := (*buf)[:0]
		n := 0
		for n < len(batch) && (n == 0 || len(b)+frameLen(batch[n]) <= maxPooledBuf) {
			b = appendFrame(b, batch[n])
			n++
		}
		*buf = b
		if err := t.nc.writeFrames(b, timeout); err != nil {
			return fmt.Errorf("write frames: %w", err)
		}
		t.s.srv.stats.out.Add(countMessages(batch[:n]))
		batch = batch[n:]
	}
	return nil
}

// writeText writes one text frame from the read loop (probe answers).
func (t *wsTransport) writeText(s string) error {
	b := appendFrameHeader(make([]byte, 0, 10+len(s)), wsOpText, len(s))
	return t.nc.writeFrames(append(b, s...), t.s.srv.cfg.writeTimeout)
}

// closeConn sends a normal close frame and closes the connection, which ends the
// read loop.
func (t *wsTransport) closeConn() {
	t.writeClose(wsCloseNormal, nil)
	t.closeNet()
}

// onFrame handles one message read from the connection.
func (t *wsTransport) onFrame(binary bool, data []byte) {
	if !t.active.Load() {
		t.s.onProbeFrame(t, binary, data)
		return
	}
	s := t.s
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if binary {
		s.deliver(data, true)
		return
	}
	p, err := parseTextPacket(data)
	if err != nil {
		s.closeWith(CloseReasonParseError)
		return
	}
	s.handlePacket(p)
}

// onClosed handles the end of the read loop.
func (t *wsTransport) onClosed(err error) {
	if !t.active.Load() {
		t.s.abortUpgrade(t)
		return
	}
	if isNormalEnd(err) {
		t.s.closeWith(CloseReasonTransportClose)
		return
	}
	t.s.closeWith(CloseReasonTransportError)
}
