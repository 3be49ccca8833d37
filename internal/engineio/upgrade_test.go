package engineio_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

func TestUpgrade(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, true)
	sid, p := ts.pollingSession(t)
	parked := make(chan response, 1)
	go func() { parked <- ts.poll(t, sid) }()
	time.Sleep(50 * time.Millisecond)

	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket&sid="+sid))
	if p.sess.Transport() != "polling" {
		t.Errorf("transport = %q before the upgrade completed", p.sess.Transport())
	}
	c.send(t, "2probe")
	if f := c.next(t); f.data != "3probe" {
		t.Fatalf("probe answer %+v", f)
	}
	if res := <-parked; res.status != http.StatusOK || res.body != "6" {
		t.Errorf("parked GET = %d %q, want NOOP", res.status, res.body)
	}
	// Queued while upgrading: delivered on the WebSocket once upgraded.
	if err := p.sess.Send(engineio.Message{Data: []byte("queued")}); err != nil {
		t.Fatal(err)
	}
	c.send(t, "5")
	if f := c.nextNonPing(t); f.data != "4queued" {
		t.Errorf("first frame after upgrade %+v", f)
	}
	c.send(t, "4hi")
	if m := p.nextMessage(t); m.data != "hi" {
		t.Errorf("delivered %q", m.data)
	}
	if f := c.nextNonPing(t); f.data != "4hi" {
		t.Errorf("echo %+v", f)
	}
	if p.sess.Transport() != "websocket" {
		t.Errorf("transport = %q after upgrade", p.sess.Transport())
	}
	if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
		t.Errorf("GET after upgrade = %d, want 400", res.status)
	}
	if res := ts.post(t, sid, "4x"); res.status != http.StatusBadRequest {
		t.Errorf("POST after upgrade = %d, want 400", res.status)
	}
	// A second WebSocket for the sid is closed at once.
	c2 := mustDial(t, ts.wsURL("EIO=4&transport=websocket&sid="+sid))
	c2.waitClosed(t)
	if st := ts.eio.Stats(); st.Upgrades != 1 {
		t.Errorf("Upgrades = %d", st.Upgrades)
	}
}

func TestUpgradeGetDuringProbeGetsNoop(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, _ := ts.pollingSession(t)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket&sid="+sid))
	c.send(t, "2probe")
	c.next(t)
	if res := ts.poll(t, sid); res.body != "6" {
		t.Errorf("GET while upgrading = %q, want NOOP", res.body)
	}
}

func TestUpgradeTimeoutKeepsPolling(t *testing.T) {
	ts := newTestServer(t, engineio.Config{UpgradeTimeout: 100 * time.Millisecond}, false)
	sid, p := ts.pollingSession(t)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket&sid="+sid))
	c.waitClosed(t) // no probe within UpgradeTimeout
	if p.sess.Transport() != "polling" {
		t.Errorf("transport = %q", p.sess.Transport())
	}
	if err := p.sess.Send(engineio.Message{Data: []byte("still")}); err != nil {
		t.Fatal(err)
	}
	if res := ts.poll(t, sid); res.body != "4still" {
		t.Errorf("GET after failed upgrade = %q", res.body)
	}
	// A new upgrade may be tried.
	c = mustDial(t, ts.wsURL("EIO=4&transport=websocket&sid="+sid))
	c.send(t, "2probe")
	if f := c.next(t); f.data != "3probe" {
		t.Errorf("second probe answer %+v", f)
	}
}

func TestUpgradeAbortedByUnexpectedPacket(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, p := ts.pollingSession(t)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket&sid="+sid))
	c.send(t, "4early")
	c.waitClosed(t)
	if p.sess.Transport() != "polling" {
		t.Errorf("transport = %q", p.sess.Transport())
	}
	select {
	case m := <-p.msgs:
		t.Errorf("probe message delivered: %q", m.data)
	default:
	}
}

func TestUpgradeUnknownSID(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	_, res, err := dial(t, ts.wsURL("EIO=4&transport=websocket&sid=nope"), nil)
	if err == nil || res == nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("dial with unknown sid: err %v, response %v", err, res)
	}
}

func TestUpgradeSessionCloseClosesProbe(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, p := ts.pollingSession(t)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket&sid="+sid))
	c.send(t, "2probe")
	c.next(t)
	p.sess.Close()
	c.waitClosed(t)
}
