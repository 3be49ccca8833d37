package engineio_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// fastHeartbeat pings often and waits long enough for a PONG from a loaded machine.
var fastHeartbeat = engineio.Config{PingInterval: 50 * time.Millisecond, PingTimeout: 500 * time.Millisecond}

func TestHeartbeatPollingPingPong(t *testing.T) {
	ts := newTestServer(t, fastHeartbeat, false)
	sid, p := ts.pollingSession(t)
	for range 3 {
		if res := ts.poll(t, sid); res.body != "2" {
			t.Fatalf("GET = %d %q, want PING", res.status, res.body)
		}
		ts.post(t, sid, "3")
	}
	select {
	case r := <-p.closed:
		t.Fatalf("closed (%v) although every PING was answered", r)
	default:
	}
}

func TestHeartbeatPollingTimeout(t *testing.T) {
	ts := newTestServer(t, fastHeartbeat, false)
	sid, p := ts.pollingSession(t)
	if r := p.waitClosed(t); r != engineio.CloseReasonPingTimeout {
		t.Errorf("close reason = %v", r)
	}
	if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
		t.Errorf("GET after ping timeout = %d", res.status)
	}
	if st := ts.eio.Stats(); st.ClosedPingTimeout != 1 || st.SessionsClosed() != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestHeartbeatWebSocket(t *testing.T) {
	ts := newTestServer(t, fastHeartbeat, false)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t)
	p := ts.nextPeer(t)
	for range 3 {
		if f := c.next(t); f.data != "2" {
			t.Fatalf("frame %+v, want PING", f)
		}
		c.send(t, "3")
	}
	// Stop answering.
	if r := p.waitClosed(t); r != engineio.CloseReasonPingTimeout {
		t.Errorf("close reason = %v", r)
	}
	c.waitClosed(t)
}
