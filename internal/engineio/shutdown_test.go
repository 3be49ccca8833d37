package engineio_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

func TestShutdown(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, polling := ts.pollingSession(t)
	parked := make(chan response, 1)
	go func() { parked <- ts.poll(t, sid) }()
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t)
	ws := ts.nextPeer(t)
	lingering, _ := ts.pollingSession(t)
	time.Sleep(50 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.eio.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if r := polling.waitClosed(t); r != engineio.CloseReasonServerShutdown {
		t.Errorf("polling close reason = %v", r)
	}
	if r := ws.waitClosed(t); r != engineio.CloseReasonServerShutdown {
		t.Errorf("websocket close reason = %v", r)
	}
	if res := <-parked; res.body != "1" {
		t.Errorf("parked GET at shutdown = %q, want CLOSE", res.body)
	}
	c.waitClosed(t)
	if n := ts.eio.SessionCount(); n != 0 {
		t.Errorf("SessionCount after Shutdown = %d", n)
	}
	if res := ts.poll(t, lingering); res.status != http.StatusBadRequest {
		t.Errorf("GET after Shutdown = %d", res.status)
	}
	if res := do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", nil); res.status != http.StatusServiceUnavailable {
		t.Errorf("handshake after Shutdown = %d, want 503", res.status)
	}
	if st := ts.eio.Stats(); st.ClosedServerShutdown != 3 || st.SessionsOpened != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestShutdownWaitsForContext(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.eio.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown of an idle server = %v", err) // nothing to wait for
	}
}
