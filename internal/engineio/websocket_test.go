package engineio_test

import (
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/lxzan/gws"
)

func TestWebSocketMessages(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, true)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t) // open
	p := ts.nextPeer(t)

	c.send(t, "4hello")
	if m := p.nextMessage(t); m != (inbound{"hello", false}) {
		t.Errorf("delivered %+v", m)
	}
	if f := c.next(t); f != (frame{"4hello", false}) {
		t.Errorf("echo frame %+v", f)
	}
	if err := c.conn.WriteMessage(gws.OpcodeBinary, []byte{4, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if m := p.nextMessage(t); m != (inbound{"\x04\x01\x02", true}) {
		t.Errorf("binary delivered %+v", m)
	}
	// Binary frames carry the data alone: no "4" or "b" prefix.
	if f := c.next(t); f != (frame{"\x04\x01\x02", true}) {
		t.Errorf("binary echo frame %+v", f)
	}
	c.send(t, "6") // NOOP is ignored
	c.send(t, "4")
	if m := p.nextMessage(t); m != (inbound{"", false}) {
		t.Errorf("empty message delivered as %+v", m)
	}
}

func TestWebSocketSendOrderAndAdjacency(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t)
	p := ts.nextPeer(t)
	for i := range 50 {
		err := p.sess.Send(
			engineio.Message{Data: []byte("451-[" + string(rune('a'+i%26)) + "]")},
			engineio.Message{Data: []byte{byte(i)}, Binary: true},
		)
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		head, att := c.nextNonPing(t), c.nextNonPing(t)
		if want := "4451-[" + string(rune('a'+i%26)) + "]"; head.data != want || head.binary {
			t.Fatalf("frame %d = %+v, want %q", i, head, want)
		}
		if !att.binary || att.data != string([]byte{byte(i)}) {
			t.Fatalf("attachment %d = %+v", i, att)
		}
	}
	// The counter is updated after the write that the client already saw.
	eventually(t, func() bool { return ts.eio.Stats().MessagesOut == 100 }, "MessagesOut reaches 100")
}

func TestWebSocketInvalidPacketCloses(t *testing.T) {
	for _, msg := range []string{"abc", "", "2", "9x"} {
		t.Run(msg, func(t *testing.T) {
			ts := newTestServer(t, engineio.Config{}, false)
			c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
			c.next(t)
			p := ts.nextPeer(t)
			c.send(t, msg)
			if r := p.waitClosed(t); r != engineio.CloseReasonParseError {
				t.Errorf("close reason = %v", r)
			}
			c.waitClosed(t)
		})
	}
}

func TestWebSocketClientClose(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t)
	p := ts.nextPeer(t)
	c.send(t, "1")
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportClose {
		t.Errorf("close reason = %v", r)
	}
	c.waitClosed(t)

	c = mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t)
	p = ts.nextPeer(t)
	_ = c.conn.WriteClose(1000, nil)
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportClose {
		t.Errorf("close reason after a close frame = %v", r)
	}
}

func TestWebSocketOversizeCloses(t *testing.T) {
	ts := newTestServer(t, engineio.Config{MaxPayload: 16}, false)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t)
	p := ts.nextPeer(t)
	c.send(t, "4"+strings.Repeat("x", 15)) // exactly MaxPayload
	if m := p.nextMessage(t); len(m.data) != 15 {
		t.Errorf("message of MaxPayload delivered as %d bytes", len(m.data))
	}
	c.send(t, "4"+strings.Repeat("x", 16))
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportError {
		t.Errorf("close reason = %v", r)
	}
	c.waitClosed(t)
}

func TestWebSocketServerCloseFlushes(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t)
	p := ts.nextPeer(t)
	if err := p.sess.Send(engineio.Message{Data: []byte("41")}); err != nil {
		t.Fatal(err)
	}
	p.sess.Close()
	if f := c.nextNonPing(t); f.data != "441" {
		t.Errorf("last frame %+v, want the queued message", f)
	}
	c.waitClosed(t)
	if r := p.waitClosed(t); r != engineio.CloseReasonForced {
		t.Errorf("close reason = %v", r)
	}
}
