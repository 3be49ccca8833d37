package engineio_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
)

// On Linux an idle WebSocket holds no goroutine: the poller waits for its bytes.
// Every connection must still be read when it speaks again, in order, and the
// poller's goroutines must end with the last connection.
func TestIdleWebSocketsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is Linux-only; elsewhere each connection has a reader goroutine")
	}
	const conns = 100
	ts := newTestServer(t, engineio.Config{}, true)
	before := runtime.NumGoroutine()
	clients := make([]*rawWS, conns)
	for i := range clients {
		clients[i] = dialRaw(t, ts)
		ts.nextPeer(t)
	}
	// Each one speaks once, so that its first handler has run, then goes idle.
	for i, c := range clients {
		c.write(t, clientFrame(0x81, fmt.Appendf(nil, "4hello %d", i), false))
		if _, data := c.read(t); string(data) != fmt.Sprintf("4hello %d", i) {
			t.Fatalf("client %d: echo %q", i, data)
		}
	}
	// The poller's goroutine and its pooled readers (at most 16 of them) may stay;
	// a goroutine per connection may not.
	eventually(t, func() bool { return runtime.NumGoroutine()-before < conns/4 },
		fmt.Sprintf("goroutines for %d idle connections fall below %d", conns, conns/4))

	// Idle connections are read again when they speak: several frames in one write,
	// handled in order.
	for i, c := range clients {
		c.write(t, clientFrame(0x81, fmt.Appendf(nil, "4a%d", i), false),
			clientFrame(0x81, fmt.Appendf(nil, "4b%d", i), false))
	}
	for i, c := range clients {
		for _, want := range []string{"4a", "4b"} {
			if _, data := c.read(t); string(data) != fmt.Sprintf("%s%d", want, i) {
				t.Fatalf("client %d: got %q, want %s%d", i, data, want, i)
			}
		}
	}

	for _, c := range clients {
		_ = c.conn.Close()
	}
	eventually(t, func() bool { return ts.eio.SessionCount() == 0 }, "every session ends when its client closes")
	eventually(t, func() bool { return runtime.NumGoroutine() <= before },
		"the poller's goroutines end with the last connection")
}
