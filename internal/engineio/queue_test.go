package engineio_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/lxzan/gws"
)

func TestSlowConsumerIsClosed(t *testing.T) {
	ts := newTestServer(t, engineio.Config{SendQueue: 4}, false)
	_, p := ts.pollingSession(t) // the client never polls
	for i := range 4 {
		if err := p.sess.Send(engineio.Message{Data: []byte{'a' + byte(i)}}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	err := p.sess.Send(engineio.Message{Data: []byte("overflow")})
	if !errors.Is(err, engineio.ErrSlowConsumer) {
		t.Errorf("Send over SendQueue = %v, want ErrSlowConsumer", err)
	}
	if r := p.waitClosed(t); r != engineio.CloseReasonSlowConsumer {
		t.Errorf("close reason = %v", r)
	}
	if err := p.sess.Send(engineio.Message{Data: []byte("x")}); !errors.Is(err, engineio.ErrSessionClosed) {
		t.Errorf("Send after close = %v", err)
	}
	if st := ts.eio.Stats(); st.ClosedSlowConsumer != 1 {
		t.Errorf("ClosedSlowConsumer = %d", st.ClosedSlowConsumer)
	}
}

func TestSlowConsumerIsLoggedAsWarning(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ts := newTestServer(t, engineio.Config{SendQueue: 1, Logger: logger}, false)
	_, p := ts.pollingSession(t)
	_ = p.sess.Send(engineio.Message{Data: []byte("a")}, engineio.Message{Data: []byte("b")})
	p.waitClosed(t)
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, `reason="slow consumer"`) {
		t.Fatalf("slow-consumer cut not logged as a warning; log:\n%s", out)
	}
	_, other := ts.pollingSession(t)
	other.sess.Close()
	other.waitClosed(t)
	if n := strings.Count(logs.String(), "session closed"); n != 1 {
		t.Fatalf("an ordinary close was logged at warn level too (%d lines):\n%s", n, logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSlowConsumerAtomicBatch(t *testing.T) {
	ts := newTestServer(t, engineio.Config{SendQueue: 2}, false)
	_, p := ts.pollingSession(t)
	msgs := []engineio.Message{{Data: []byte("a")}, {Data: []byte("b")}, {Data: []byte("c")}}
	if err := p.sess.Send(msgs...); !errors.Is(err, engineio.ErrSlowConsumer) {
		t.Errorf("Send of 3 with SendQueue 2 = %v", err)
	}
	p.waitClosed(t)
}

func TestCloseReasonString(t *testing.T) {
	tests := map[engineio.CloseReason]string{
		engineio.CloseReasonTransportClose: "transport close",
		engineio.CloseReasonTransportError: "transport error",
		engineio.CloseReasonPingTimeout:    "ping timeout",
		engineio.CloseReasonParseError:     "parse error",
		engineio.CloseReasonForced:         "forced close",
		engineio.CloseReasonSlowConsumer:   "slow consumer",
		engineio.CloseReasonServerShutdown: "server shutting down",
		0:                                  "unknown",
		99:                                 "unknown",
	}
	for r, want := range tests {
		if got := r.String(); got != want {
			t.Errorf("CloseReason(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}

func TestSlowConsumerWebSocket(t *testing.T) {
	ts := newTestServer(t, engineio.Config{SendQueue: 8}, false)
	// A client that never reads: no read loop.
	conn, _, err := gws.NewClient(&wsClient{}, &gws.ClientOption{Addr: ts.wsURL("EIO=4&transport=websocket")})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.NetConn().Close()
	p := ts.nextPeer(t)
	big := engineio.Message{Data: bytes.Repeat([]byte("x"), 64<<10)}
	var sendErr error
	for i := 0; i < 100_000 && sendErr == nil; i++ {
		sendErr = p.sess.Send(big)
		time.Sleep(100 * time.Microsecond) // let the writer fill the socket buffers first
	}
	if !errors.Is(sendErr, engineio.ErrSlowConsumer) {
		t.Fatalf("Send to a client that does not read = %v", sendErr)
	}
	if r := p.waitClosed(t); r != engineio.CloseReasonSlowConsumer {
		t.Errorf("close reason = %v", r)
	}
	eventually(t, func() bool { return ts.eio.SessionCount() == 0 }, "session removed")
}
