package engineio

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// wsConn is the network connection under a WebSocket: the hijacked net.Conn, wrapped
// so that
//
//   - every write, the handshake response, control frames (pongs, close, probe
//     answers) and the session's packets alike, goes through mu, so frames never interleave on the wire; bytes that a
//     non-blocking write could not send (pending) go out before anything else;
//   - the session's packets can be written without blocking, from the goroutine that
//     queues them (tryWrite): when the socket buffer has room, which is the common
//     case, a delivery costs one write syscall, with no writer goroutine and no write
//     deadline;
//   - an idle connection holds no read buffer: Read waits for the socket to be
//     readable and only then borrows a pooled buffer, given back once consumed.
//
// The last two need the socket's descriptor (syscall.RawConn); on any other
// connection (TLS) raw is nil and wsConn only serializes writes.
type wsConn struct {
	net.Conn
	raw syscall.RawConn // nil: no descriptor, no non-blocking writes or pooled reads

	mu         sync.Mutex
	pending    []byte      // guarded by mu: unsent tail of a partial non-blocking write
	hasPending atomic.Bool // len(pending) > 0, readable without mu
	wbuf       []byte      // guarded by mu: what tryWriteFD writes
	wn         int         // guarded by mu: what tryWriteFD wrote
	tryFn      func(fd uintptr) bool

	// Read side, used only by the read loop's goroutine.
	rbuf       *[]byte // borrowed from readBufs while it holds unread bytes
	rpos, rend int
	rp         []byte // the caller's buffer during readFD
	rn         int
	rerr       error
	readFn     func(fd uintptr) bool
}

// Sizes of the pooled buffers.
const (
	readBufSize  = 4 << 10  // one read syscall's worth of inbound frames
	writeBufSize = 4 << 10  // initial capacity of a batch of outbound frames
	maxPooledBuf = 64 << 10 // larger buffers (one huge message) are not kept
	// maxInlineWrite bounds what tryWrite attempts from a sender's goroutine; a
	// bigger backlog goes to the writer goroutine, which writes it in chunks.
	maxInlineWrite = 16 << 10
)

var (
	readBufs  = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}
	writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, writeBufSize); return &b }}
)

func getWriteBuf() *[]byte { return writeBufs.Get().(*[]byte) }

func putWriteBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	writeBufs.Put(b)
}

func newWSConn(c net.Conn) *wsConn {
	w := &wsConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			w.raw = raw
			w.tryFn = w.tryWriteFD
			w.readFn = w.readFD
		}
	}
	return w
}

// Write writes p whole, after any pending bytes: a plain blocking write that keeps
// the wire order of everything else written through wsConn.
func (c *wsConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flushPendingLocked(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// writeFrames writes pending bytes and then b, blocking at most timeout.
func (c *wsConn) writeFrames(b []byte, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(timeout))
	if err := c.flushPendingLocked(); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	_, err := c.Conn.Write(b)
	return err
}

func (c *wsConn) flushPendingLocked() error {
	if len(c.pending) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.pending)
	c.pending = nil
	c.hasPending.Store(false)
	return err
}

// tryResult is what a non-blocking write achieved.
type tryResult int

const (
	tryNotWritten tryResult = iota // nothing written: the caller still owns the bytes
	tryWritten                     // all written
	tryPartial                     // some written, the rest is pending: a writer must flush it
)

// tryWrite writes b if it can do so without blocking. It gives up (tryNotWritten)
// when the connection has no descriptor, another write is in progress or pending,
// the socket buffer is full, or the write fails (the blocking writer then meets the
// error again and reports it).
func (c *wsConn) tryWrite(b []byte) tryResult {
	if c.raw == nil || !c.mu.TryLock() {
		return tryNotWritten
	}
	defer c.mu.Unlock()
	if len(c.pending) > 0 {
		return tryNotWritten
	}
	c.wbuf, c.wn = b, 0
	err := c.raw.Write(c.tryFn)
	n := c.wn
	c.wbuf = nil
	switch {
	case err != nil || n <= 0:
		return tryNotWritten
	case n == len(b):
		return tryWritten
	}
	c.pending = append([]byte(nil), b[n:]...)
	c.hasPending.Store(true)
	return tryPartial
}

// tryWriteFD is the syscall.RawConn callback of tryWrite: one non-blocking write.
// It always reports done, so that RawConn.Write never waits for writability.
func (c *wsConn) tryWriteFD(fd uintptr) bool {
	for {
		n, err := syscall.Write(int(fd), c.wbuf)
		if err == syscall.EINTR {
			continue
		}
		c.wn = n
		return true
	}
}

// preload makes b (at most readBufSize bytes) the first bytes Read returns.
func (c *wsConn) preload(b []byte) {
	buf := readBufs.Get().(*[]byte)
	c.rbuf, c.rpos, c.rend = buf, 0, copy(*buf, b)
}

// Read reads from the connection. Without a descriptor it is the plain Read.
func (c *wsConn) Read(p []byte) (int, error) {
	if c.rbuf != nil {
		return c.readBuffered(p), nil
	}
	if c.raw == nil {
		return c.Conn.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.rp = p
	err := c.raw.Read(c.readFn)
	n, rerr := c.rn, c.rerr
	c.rp, c.rn, c.rerr = nil, 0, nil
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: rerr}
	case n == 0:
		return 0, io.EOF
	case c.rbuf != nil:
		return c.readBuffered(p), nil
	}
	return n, nil
}

// readFD is the syscall.RawConn callback of Read: it reports false (wait for the
// socket to be readable) until data, EOF or an error arrives. Big reads go straight
// to the caller's buffer; small ones borrow a pooled buffer only once data is there.
func (c *wsConn) readFD(fd uintptr) bool {
	if len(c.rp) >= readBufSize {
		n, err := readNonBlocking(fd, c.rp)
		if err == syscall.EAGAIN {
			return false
		}
		c.rn, c.rerr = max(n, 0), err
		return true
	}
	b := readBufs.Get().(*[]byte)
	n, err := readNonBlocking(fd, *b)
	if err == syscall.EAGAIN {
		readBufs.Put(b)
		return false
	}
	if n <= 0 {
		readBufs.Put(b)
		c.rn, c.rerr = 0, err
		return true
	}
	c.rbuf, c.rpos, c.rend, c.rn = b, 0, n, n
	return true
}

func readNonBlocking(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// hasBuffered reports whether bytes already read from the socket wait in wsConn.
func (c *wsConn) hasBuffered() bool { return c.rbuf != nil }

// readBuffered copies borrowed bytes to p and gives the buffer back once empty.
func (c *wsConn) readBuffered(p []byte) int {
	n := copy(p, (*c.rbuf)[c.rpos:c.rend])
	c.rpos += n
	if c.rpos == c.rend {
		readBufs.Put(c.rbuf)
		c.rbuf = nil
	}
	return n
}
