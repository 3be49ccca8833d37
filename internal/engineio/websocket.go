package engineio

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// wsReadBufferSize is gws's per-connection read buffer. Frames larger than it are
// read into pooled buffers, so it only needs to hold typical chat frames: keeping it
// small is what keeps an idle connection cheap.
const wsReadBufferSize = 1024

// wsTransport is a WebSocket connection: text frames are Engine.IO packets, binary
// frames are binary MESSAGEs. gws's read loop runs on a goroutine of its own, so that
// the HTTP handler returns and net/http's per-request buffers (about 10 KB: the
// connection's bufio reader and writers, the request, the grown handler stack) are
// freed; a writer goroutine exists only while the session has packets queued.
type wsTransport struct {
	s       *Session
	conn    *gws.Conn
	active  atomic.Bool // the session's transport (false while it is an upgrade probe)
	writing bool        // guarded by s.mu; a drain goroutine is running

	// Scratch space of the single drain goroutine, so that a text frame's type
	// prefix and data go to gws's Writev without allocating.
	prefix [1]byte
	iov    [2][]byte
}

func newUpgrader(s *Server) *gws.Upgrader {
	return gws.NewUpgrader(wsEvents{}, &gws.ServerOption{
		ReadMaxPayloadSize: s.cfg.maxPayload,
		ReadBufferSize:     wsReadBufferSize,
		HandshakeTimeout:   s.cfg.writeTimeout,
		NewSession:         func() gws.SessionStorage { return new(wsSlot) },
		Logger:             gwsLogger{s.cfg.logger},
	})
}

// upgrade switches r to WebSocket and binds the connection to a new transport of sess.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, sess *Session) (*wsTransport, error) {
	conn, err := s.upgrader.Upgrade(w, r)
	if err != nil {
		return nil, fmt.Errorf("upgrade websocket: %w", err)
	}
	t := &wsTransport{s: sess, conn: conn}
	conn.Session().(*wsSlot).t = t
	return t, nil
}

// serveWebSocketHandshake opens a session directly on WebSocket and runs its read loop.
func (s *Server) serveWebSocketHandshake(w http.ResponseWriter, r *http.Request) {
	if !isWebSocketRequest(r) {
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	sess := newSession(s, newHandshake(r))
	t, err := s.upgrade(w, r, sess)
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
	sess.mu.Lock()
	sess.enqueueLocked(packet{typ: packetOpen, data: s.cfg.openPacketData(sess.id, false)})
	sess.mu.Unlock()
	sess.accept()
	sess.startHeartbeat()
	go t.conn.ReadLoop() // see wsTransport: frees net/http's per-request memory
}

func (t *wsTransport) name() string { return transportWebSocket }

func (t *wsTransport) wakeLocked() {
	if !t.writing {
		t.writing = true
		go t.drain()
	}
}

func (t *wsTransport) closeLocked(reason CloseReason) bool {
	if !flushesOnClose(reason) {
		t.s.queue = nil
		if t.writing {
			// The writer may be stuck on a client that does not read (the slow
			// consumer case): unblock it rather than wait for WriteTimeout.
			_ = t.conn.NetConn().Close()
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

// drain writes queued packets in batches until the queue is empty, then exits; once
// the session is closed it closes the connection.
func (t *wsTransport) drain() {
	s := t.s
	for {
		s.mu.Lock()
		batch := s.takeQueueLocked()
		if len(batch) == 0 {
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

func (t *wsTransport) writeBatch(batch []packet) error {
	var msgs uint64
	defer func() { t.s.srv.stats.out.Add(msgs) }()
	for _, p := range batch {
		if err := t.writePacket(p); err != nil {
			return fmt.Errorf("write packet: %w", err)
		}
		if p.typ == packetMessage {
			msgs++
		}
	}
	return nil
}

func (t *wsTransport) writePacket(p packet) error {
	_ = t.conn.SetWriteDeadline(time.Now().Add(t.s.srv.cfg.writeTimeout))
	if p.binary {
		return t.conn.WriteMessage(gws.OpcodeBinary, p.data)
	}
	t.prefix[0] = byte(p.typ)
	t.iov[0], t.iov[1] = t.prefix[:], p.data
	err := t.conn.Writev(gws.OpcodeText, t.iov[:]...)
	t.iov[1] = nil // do not keep the message alive
	return err
}

// writeText writes one text frame from the read loop (probe answers, pongs).
func (t *wsTransport) writeText(s string) error {
	_ = t.conn.SetWriteDeadline(time.Now().Add(t.s.srv.cfg.writeTimeout))
	return t.conn.WriteString(s)
}

// closeConn sends a normal close frame and closes the connection, which ends the
// read loop.
func (t *wsTransport) closeConn() {
	_ = t.conn.SetWriteDeadline(time.Now().Add(t.s.srv.cfg.writeTimeout))
	_ = t.conn.WriteClose(1000, nil)
}

// onFrame handles one frame read from the connection.
func (t *wsTransport) onFrame(op gws.Opcode, data []byte) {
	if !t.active.Load() {
		t.s.onProbeFrame(t, op, data)
		return
	}
	s := t.s
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if op == gws.OpcodeBinary {
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
	var ce *gws.CloseError
	if err == nil || errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		t.s.closeWith(CloseReasonTransportClose)
		return
	}
	t.s.closeWith(CloseReasonTransportError)
}

// wsEvents routes gws callbacks to the connection's transport.
type wsEvents struct{}

func transportOf(c *gws.Conn) *wsTransport { return c.Session().(*wsSlot).t }

func (wsEvents) OnOpen(*gws.Conn)               {}
func (wsEvents) OnPong(*gws.Conn, []byte)       {}
func (wsEvents) OnClose(c *gws.Conn, err error) { transportOf(c).onClosed(err) }

func (wsEvents) OnPing(c *gws.Conn, payload []byte) {
	_ = c.SetWriteDeadline(time.Now().Add(transportOf(c).s.srv.cfg.writeTimeout))
	_ = c.WritePong(payload)
}

func (wsEvents) OnMessage(c *gws.Conn, msg *gws.Message) {
	defer msg.Close()
	transportOf(c).onFrame(msg.Opcode, msg.Bytes())
}

// wsSlot is the gws per-connection storage: just the transport, instead of gws's
// default map, to keep idle connections small.
type wsSlot struct{ t *wsTransport }

func (*wsSlot) Len() int                     { return 1 }
func (*wsSlot) Load(string) (any, bool)      { return nil, false }
func (*wsSlot) Delete(string)                {}
func (*wsSlot) Store(string, any)            {}
func (*wsSlot) Range(func(string, any) bool) {}

// gwsLogger sends gws's error log to the server's logger.
type gwsLogger struct{ l *slog.Logger }

func (g gwsLogger) Error(v ...any) { g.l.Error("engineio: gws", "msg", fmt.Sprint(v...)) }
