package socketio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// fakeConn is an Engine.IO session without a network. Like engineio, it never calls
// the Receiver concurrently: OnClose requested during OnMessage is delivered after it.
type fakeConn struct {
	id string
	hs *engineio.Handshake

	mu          sync.Mutex
	recv        engineio.Receiver  // guarded by mu
	sent        []engineio.Message // guarded by mu
	dispatching bool               // guarded by mu
	owedClose   bool               // guarded by mu
	closed      bool               // guarded by mu
	reason      engineio.CloseReason
	failSends   bool          // guarded by mu: Send returns an error
	wake        chan struct{} // signalled on Send and close
}

var errFakeClosed = errors.New("fake session closed")

func newFakeConn(id string) *fakeConn {
	return &fakeConn{
		id:   id,
		hs:   &engineio.Handshake{Header: http.Header{}, RemoteAddr: "192.0.2.1:1234", Time: time.Now()},
		wake: make(chan struct{}, 1),
	}
}

func (f *fakeConn) ID() string                     { return f.id }
func (f *fakeConn) Handshake() *engineio.Handshake { return f.hs }

func (f *fakeConn) Send(msgs ...engineio.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errFakeClosed
	}
	if f.failSends {
		return errors.New("queue full")
	}
	f.sent = append(f.sent, msgs...)
	f.signal()
	return nil
}

func (f *fakeConn) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakeConn) Close() { f.closeWith(engineio.CloseReasonForced) }

// closeWith ends the session as engineio would for reason.
func (f *fakeConn) closeWith(reason engineio.CloseReason) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed, f.reason = true, reason
	f.signal()
	if f.dispatching {
		f.owedClose = true
		f.mu.Unlock()
		return
	}
	recv := f.recv
	f.mu.Unlock()
	recv.OnClose(reason)
}

// deliver hands one message to the Receiver.
func (f *fakeConn) deliver(data []byte, binary bool) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.dispatching = true
	recv := f.recv
	f.mu.Unlock()
	recv.OnMessage(data, binary)
	f.mu.Lock()
	f.dispatching = false
	owed := f.owedClose
	f.owedClose = false
	reason := f.reason
	f.mu.Unlock()
	if owed {
		recv.OnClose(reason)
	}
}

func (f *fakeConn) text(s string)   { f.deliver([]byte(s), false) }
func (f *fakeConn) binary(b []byte) { f.deliver(b, true) }

func (f *fakeConn) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// take removes and returns everything sent so far.
func (f *fakeConn) take() []engineio.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.sent
	f.sent = nil
	return out
}

// next waits for and removes the next sent message.
func (f *fakeConn) next(t *testing.T) engineio.Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		if len(f.sent) > 0 {
			m := f.sent[0]
			f.sent = f.sent[1:]
			f.mu.Unlock()
			return m
		}
		f.mu.Unlock()
		select {
		case <-f.wake:
		case <-deadline:
			t.Fatalf("%s: no message sent", f.id)
		}
	}
}

// expect checks that the next messages are the given texts.
func (f *fakeConn) expect(t *testing.T, texts ...string) {
	t.Helper()
	for _, want := range texts {
		m := f.next(t)
		if m.Binary || string(m.Data) != want {
			t.Fatalf("%s: got %s, want %s", f.id, describe(m), want)
		}
	}
}

// expectBinary checks that the next message is binary with data want.
func (f *fakeConn) expectBinary(t *testing.T, want []byte) {
	t.Helper()
	if m := f.next(t); !m.Binary || !bytes.Equal(m.Data, want) {
		t.Fatalf("%s: got %s, want binary %v", f.id, describe(m), want)
	}
}

// expectNothing checks that nothing more was sent.
func (f *fakeConn) expectNothing(t *testing.T) {
	t.Helper()
	if rest := f.take(); len(rest) > 0 {
		t.Fatalf("%s: unexpected %s", f.id, describe(rest...))
	}
}

// waitClosed waits for the session to be closed.
func (f *fakeConn) waitClosed(t *testing.T) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !f.isClosed() {
		select {
		case <-f.wake:
		case <-deadline:
			t.Fatalf("%s: not closed", f.id)
		}
	}
}

func describe(msgs ...engineio.Message) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		if m.Binary {
			parts[i] = fmt.Sprintf("binary%v", m.Data)
		} else {
			parts[i] = string(m.Data)
		}
	}
	return strings.Join(parts, " | ")
}

// testServer returns a server without Engine.IO whose logs go nowhere.
func testServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := newServer(cfg)
	t.Cleanup(func() { _ = s.Shutdown(t.Context()) })
	return s
}

// dial attaches a new fake session to s.
func dial(s *Server, id string) *fakeConn {
	f := newFakeConn(id)
	f.mu.Lock()
	f.dispatching = true
	f.mu.Unlock()
	recv := s.accept(f)
	f.mu.Lock()
	f.recv = recv
	f.dispatching = false
	owed := f.owedClose
	f.mu.Unlock()
	if owed {
		recv.OnClose(f.reason)
	}
	return f
}

// connect dials and connects to nsp ("/" or "/x"), returning the socket id.
func connect(t *testing.T, s *Server, id, nsp string) (*fakeConn, string) {
	t.Helper()
	f := dial(s, id)
	return f, join(t, f, nsp)
}

// join connects an existing session to nsp and returns the socket id.
func join(t *testing.T, f *fakeConn, nsp string) string {
	t.Helper()
	prefix := "0"
	if nsp != "/" {
		prefix += nsp + ","
	}
	f.text(prefix)
	m := f.next(t)
	reply := string(m.Data)
	if !strings.HasPrefix(reply, prefix+`{"sid":"`) {
		t.Fatalf("connect reply %s", reply)
	}
	sid := strings.TrimPrefix(reply, prefix+`{"sid":"`)
	return sid[:strings.IndexByte(sid, '"')]
}
