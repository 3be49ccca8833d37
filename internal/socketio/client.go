package socketio

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// conn is what a client needs of its Engine.IO session; *engineio.Session has it.
type conn interface {
	ID() string
	Handshake() *engineio.Handshake
	Send(msgs ...engineio.Message) error
	Close()
}

// client is the Receiver of one Engine.IO session: it decodes the session's messages
// and routes them to the session's sockets, one per connected namespace. engineio calls
// OnMessage and OnClose one at a time, so the receive path needs no lock of its own.
type client struct {
	srv  *Server
	conn conn
	// partial is the binary packet waiting for its attachments; receive path only.
	partial *partialPacket

	mu          sync.Mutex
	sockets     []*Socket        // guarded by mu: one per connected namespace
	timer       *time.Timer      // guarded by mu: the connect timeout; nil once stopped
	closeReason DisconnectReason // guarded by mu: set when this package closes the session
	closed      bool             // guarded by mu: OnClose has run
}

// partialPacket is a binary packet whose attachments are still arriving.
type partialPacket struct {
	pkt  packet
	atts [][]byte
}

var (
	errInvalidState     = errors.New("packet for a namespace the client is not connected to")
	errAlreadyConnected = errors.New("connect to a namespace already connected")
)

func newClient(srv *Server, c conn) *client {
	return &client{srv: srv, conn: c}
}

// logger returns the server's logger with the session id; built on demand because
// most sessions never log.
func (c *client) logger() *slog.Logger {
	return c.srv.log.With("sid", c.conn.ID())
}

// startConnectTimer closes the session if it has not connected to a namespace within
// d, like socket.io's connectTimeout.
func (c *client) startConnectTimer(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.sockets) > 0 {
		return
	}
	c.timer = time.AfterFunc(d, c.connectTimedOut)
}

func (c *client) connectTimedOut() {
	c.mu.Lock()
	expired := c.timer != nil && !c.closed && len(c.sockets) == 0
	c.mu.Unlock()
	if expired {
		c.logger().Debug("socketio: no namespace joined in time, closing")
		c.conn.Close()
	}
}

// OnMessage decodes one Engine.IO message. The message is copied: events keep slices
// of it after the call returns.
func (c *client) OnMessage(data []byte, binary bool) {
	if binary {
		c.onAttachment(data)
		return
	}
	if c.partial != nil {
		c.fail(errUnexpectedText)
		return
	}
	pkt, err := decodePacket(bytes.Clone(data), c.srv.cfg.maxAttachments())
	if err != nil {
		c.fail(err)
		return
	}
	if pkt.attachments > 0 {
		c.partial = &partialPacket{pkt: pkt, atts: make([][]byte, 0, pkt.attachments)}
		return
	}
	c.dispatch(&pkt, nil)
}

func (c *client) onAttachment(data []byte) {
	p := c.partial
	if p == nil {
		c.fail(errUnexpectedBytes)
		return
	}
	p.atts = append(p.atts, bytes.Clone(data))
	if len(p.atts) == p.pkt.attachments {
		c.partial = nil
		c.dispatch(&p.pkt, p.atts)
	}
}

// dispatch routes one complete packet. Packets for a namespace the client has not
// joined, CONNECT for one it has, and CONNECT_ERROR close the session, as in socket.io.
func (c *client) dispatch(pkt *packet, atts [][]byte) {
	if pkt.typ == packetConnect {
		c.onConnect(pkt)
		return
	}
	s := c.socketFor(pkt)
	if s == nil || pkt.typ == packetConnectError {
		c.fail(errInvalidState)
		return
	}
	switch pkt.typ {
	case packetDisconnect:
		s.leave(ReasonClientNamespaceDisconnect)
	case packetEvent, packetBinaryEvent:
		s.onEvent(pkt, atts)
	case packetAck, packetBinaryAck:
		s.onAck(pkt)
	}
}

func (c *client) onConnect(pkt *packet) {
	if c.socketFor(pkt) != nil {
		c.fail(errAlreadyConnected)
		return
	}
	name := pkt.namespace()
	n, ok := c.srv.namespace(name)
	if !ok {
		c.refuse(name, &ConnectError{Message: "Invalid namespace"})
		return
	}
	n.connect(c, pkt.data)
}

// refuse answers a CONNECT with CONNECT_ERROR.
func (c *client) refuse(nsp string, err error) {
	var ce *ConnectError
	if !errors.As(err, &ce) {
		ce = &ConnectError{Message: err.Error()}
	}
	e := c.srv.getEncoder()
	defer c.srv.putEncoder(e)
	if err := e.connectErrorData(ce.Message, ce.Data); err != nil {
		c.logger().Warn("socketio: connect error data left out", "nsp", nsp, "err", err)
	}
	if err := c.conn.Send(e.messages(packetConnectError, nsp, noAck)...); err != nil {
		c.logger().Debug("socketio: send connect error", "nsp", nsp, "err", err)
	}
}

// fail closes the session after a protocol violation.
func (c *client) fail(err error) {
	c.logger().Debug("socketio: closing session", "err", err)
	c.closeWith(ReasonParseError)
}

// setCloseReason makes the sockets report reason when the session closes, whatever
// engineio reports.
func (c *client) setCloseReason(reason DisconnectReason) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeReason == 0 {
		c.closeReason = reason
	}
}

// closeWith closes the session; its sockets will report reason.
func (c *client) closeWith(reason DisconnectReason) {
	c.setCloseReason(reason)
	c.conn.Close()
}

// socketFor returns the client's socket in the packet's namespace, or nil.
func (c *client) socketFor(pkt *packet) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sockets {
		if pkt.inNamespace(s.nsp.name) {
			return s
		}
	}
	return nil
}

// addSocket records a newly connected socket; it reports false if the session has
// closed meanwhile.
func (c *client) addSocket(s *Socket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.sockets = append(c.sockets, s)
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	return true
}

func (c *client) removeSocket(s *Socket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.sockets {
		if x == s {
			c.sockets = slices.Delete(c.sockets, i, i+1)
			return
		}
	}
}

// connectedSockets returns a snapshot of the client's sockets.
func (c *client) connectedSockets() []*Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Socket(nil), c.sockets...)
}

// OnClose disconnects every socket of the session.
func (c *client) OnClose(r engineio.CloseReason) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	reason := c.closeReason
	if reason == 0 {
		reason = reasonOf(r)
	}
	sockets := c.sockets
	c.sockets = nil
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()

	c.partial = nil
	for _, s := range sockets {
		s.leave(reason)
	}
	c.srv.removeClient(c)
}
