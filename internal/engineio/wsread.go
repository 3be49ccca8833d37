package engineio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// The WebSocket read side (RFC 6455 §5), after the opening handshake (wshandshake.go).
//
// Frames are read by chatd's own code, rather than gws's ReadLoop, for the sake of
// idle memory. On Linux an idle connection has no goroutine: the poller (poller.go)
// starts a reader when bytes arrive. Elsewhere, and under TLS, readLoop runs on a
// goroutine per connection; the Receiver's handlers run on the goroutine that read
// their message (that gives per-session ordering), which grows its stack to 8 KB or
// more, and the runtime never shrinks a stack below 4 KB while a read is parked on
// it. So once a burst of messages has been handled and nothing more is buffered,
// readLoop hands over to a fresh goroutine, whose small stack is what an idle
// connection then keeps.

// WebSocket opcodes and close codes the reader handles.
const (
	wsOpContinuation = 0x0
	wsOpClose        = 0x8
	wsOpPing         = 0x9
	wsOpPong         = 0xA

	wsCloseNormal        = 1000
	wsCloseProtocolError = 1002
	wsCloseTooLarge      = 1009
)

// maxControlPayload is the largest payload of a control frame.
const maxControlPayload = 125

// wsProtocolError is a frame the server refuses; the connection is closed with code.
type wsProtocolError struct {
	code   uint16
	reason string
}

func (e *wsProtocolError) Error() string { return "websocket: " + e.reason }

// errPeerClosed is the end of the read loop after the client's close frame.
var errPeerClosed = errors.New("websocket: closed by the client")

// msgBufs pools the buffers of unfragmented messages up to readBufSize.
var msgBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// wsReadState is the read loop's state between frames; only the goroutine running
// the loop touches it.
type wsReadState struct {
	frag   []byte // the fragments of a message received so far
	fragOp byte   // the opcode of that message; 0 when none is in progress
	// handled is set once a data frame was handed on: the loop then hands over to a
	// fresh goroutine before it waits for more.
	handled bool
}

// readLoop reads frames until the connection ends: the read side of a connection
// the poller cannot wait for (poller.go).
func (t *wsTransport) readLoop() {
	for {
		if t.rs.handled && !t.nc.hasBuffered() {
			t.rs.handled = false
			go t.readLoop()
			return
		}
		if !t.readOne() {
			return
		}
	}
}

// endRead answers a protocol error with the matching close frame, closes the
// connection, and ends the session (or the probe).
func (t *wsTransport) endRead(err error) {
	var pe *wsProtocolError
	switch {
	case errors.As(err, &pe):
		t.writeClose(pe.code, nil)
	case errors.Is(err, errPeerClosed):
	default:
		t.s.srv.cfg.logger.Debug("engineio: websocket read ended", "sid", t.s.id, "err", err)
	}
	t.closeNet()
	t.onClosed(err)
}

// readFrame reads one frame and acts on it.
func (t *wsTransport) readFrame() error {
	var h [8]byte
	if _, err := io.ReadFull(t.nc, h[:2]); err != nil {
		return err
	}
	fin, op := h[0]&0x80 != 0, h[0]&0x0f
	if h[0]&0x70 != 0 {
		return &wsProtocolError{wsCloseProtocolError, "reserved bits set (no extension was negotiated)"}
	}
	if h[1]&0x80 == 0 {
		return &wsProtocolError{wsCloseProtocolError, "unmasked client frame"}
	}
	n, err := t.readLength(h[1]&0x7f, h[:])
	if err != nil {
		return err
	}
	var mask [4]byte
	if _, err := io.ReadFull(t.nc, mask[:]); err != nil {
		return err
	}
	if op >= wsOpClose {
		return t.readControl(op, fin, n, mask)
	}
	return t.readData(op, fin, n, mask)
}

// readLength reads the extended payload length that the 7-bit code announces.
func (t *wsTransport) readLength(code byte, scratch []byte) (uint64, error) {
	switch code {
	case 126:
		if _, err := io.ReadFull(t.nc, scratch[:2]); err != nil {
			return 0, err
		}
		return uint64(binary.BigEndian.Uint16(scratch[:2])), nil
	case 127:
		if _, err := io.ReadFull(t.nc, scratch[:8]); err != nil {
			return 0, err
		}
		return binary.BigEndian.Uint64(scratch[:8]), nil
	}
	return uint64(code), nil
}

// readControl handles a close, ping or pong frame (they may come between the
// fragments of a message).
func (t *wsTransport) readControl(op byte, fin bool, n uint64, mask [4]byte) error {
	if !fin || n > maxControlPayload {
		return &wsProtocolError{wsCloseProtocolError, "fragmented or oversized control frame"}
	}
	var buf [maxControlPayload]byte
	p := buf[:n]
	if _, err := io.ReadFull(t.nc, p); err != nil {
		return err
	}
	unmask(p, mask, 0)
	switch op {
	case wsOpPing:
		return t.writeControl(wsOpPong, p)
	case wsOpPong:
		return nil
	case wsOpClose:
		// Echo the client's code, as gws and browsers do, then close.
		code := []byte(nil)
		if len(p) >= 2 {
			code = p[:2]
		}
		t.writeClose(wsCloseNormal, code)
		return errPeerClosed
	}
	return &wsProtocolError{wsCloseProtocolError, fmt.Sprintf("unknown opcode %#x", op)}
}

// readData reads a text, binary or continuation frame and hands on a message once
// it is complete.
func (t *wsTransport) readData(op byte, fin bool, n uint64, mask [4]byte) error {
	rs := &t.rs
	switch {
	case op == wsOpContinuation && rs.fragOp == 0:
		return &wsProtocolError{wsCloseProtocolError, "continuation without a message"}
	case op != wsOpContinuation && rs.fragOp != 0:
		return &wsProtocolError{wsCloseProtocolError, "new message inside a fragmented one"}
	case op != wsOpContinuation && op != wsOpText && op != wsOpBinary:
		return &wsProtocolError{wsCloseProtocolError, fmt.Sprintf("unknown opcode %#x", op)}
	}
	// n comes from the wire (up to 2^64-1): compare it alone first, so that the sum
	// cannot wrap around.
	if limit := uint64(t.s.srv.cfg.maxPayload); n > limit || uint64(len(rs.frag))+n > limit {
		return &wsProtocolError{wsCloseTooLarge, "message larger than maxPayload"}
	}
	if fin && rs.fragOp == 0 {
		return t.readWhole(op, int(n), mask)
	}
	if rs.fragOp == 0 {
		rs.fragOp = op
	}
	start := len(rs.frag)
	rs.frag = append(rs.frag, make([]byte, n)...)
	if _, err := io.ReadFull(t.nc, rs.frag[start:]); err != nil {
		return err
	}
	unmask(rs.frag[start:], mask, 0)
	if !fin {
		return nil
	}
	msg, msgOp := rs.frag, rs.fragOp
	rs.frag, rs.fragOp = nil, 0
	rs.handled = true
	t.onFrame(msgOp == wsOpBinary, msg)
	return nil
}

// readWhole reads an unfragmented message, the common case, into a pooled buffer.
func (t *wsTransport) readWhole(op byte, n int, mask [4]byte) error {
	var pooled *[]byte
	var p []byte
	if n <= readBufSize {
		pooled = msgBufs.Get().(*[]byte)
		p = (*pooled)[:n]
		defer msgBufs.Put(pooled)
	} else {
		p = make([]byte, n)
	}
	if _, err := io.ReadFull(t.nc, p); err != nil {
		return err
	}
	unmask(p, mask, 0)
	t.rs.handled = true
	t.onFrame(op == wsOpBinary, p)
	return nil
}

// unmask XORs p with the client's masking key, p starting at offset pos of the
// payload.
func unmask(p []byte, mask [4]byte, pos int) {
	for i := range p {
		p[i] ^= mask[(pos+i)&3]
	}
}

// writeControl writes a control frame (or a short text frame) with the write timeout.
func (t *wsTransport) writeControl(op byte, payload []byte) error {
	var buf [2 + maxControlPayload]byte
	b := appendFrameHeader(buf[:0], op, len(payload))
	b = append(b, payload...)
	return t.nc.writeFrames(b, t.s.srv.cfg.writeTimeout)
}

// writeClose writes a close frame with code, or with the client's own code bytes
// when given.
func (t *wsTransport) writeClose(code uint16, echo []byte) {
	var c [2]byte
	binary.BigEndian.PutUint16(c[:], code)
	if echo != nil {
		copy(c[:], echo)
	}
	_ = t.writeControl(wsOpClose, c[:])
}

// isNormalEnd reports whether a read loop's error is a normal end of the
// connection rather than a transport failure.
func isNormalEnd(err error) bool {
	return err == nil || errors.Is(err, errPeerClosed) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}
