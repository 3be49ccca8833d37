package engineio_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/lxzan/gws"
)

// TestWebSocketBatchesArriveIntactAndInOrder queues far more than the socket buffers
// hold, so that non-blocking writes fall short and the writer goroutine sends the
// backlog in batches; frame lengths straddle the 7-bit, 16-bit and 64-bit encodings.
func TestWebSocketBatchesArriveIntactAndInOrder(t *testing.T) {
	ts := newTestServer(t, engineio.Config{SendQueue: 1 << 20}, false)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t) // open
	p := ts.nextPeer(t)
	sizes := []int{0, 1, 124, 125, 126, 127, 1000, 65534, 65535, 65536, 70000}
	var want []frame
	for i := range 400 {
		body := bytes.Repeat([]byte{'a' + byte(i%26)}, sizes[i%len(sizes)])
		text := append([]byte(fmt.Sprintf("%d:", i)), body...)
		bin := append([]byte{byte(i)}, body...)
		err := p.sess.Send(engineio.Message{Data: text}, engineio.Message{Data: bin, Binary: true})
		if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		want = append(want, frame{"4" + string(text), false}, frame{string(bin), true})
	}
	for i, w := range want {
		got := c.nextNonPing(t)
		if got != w {
			t.Fatalf("frame %d: got %d bytes (binary %v) starting %.20q, want %d bytes (binary %v) starting %.20q",
				i, len(got.data), got.binary, got.data, len(w.data), w.binary, w.data)
		}
	}
	eventually(t, func() bool { return ts.eio.Stats().MessagesOut == uint64(len(want)) }, "MessagesOut counts every message")
}

// Over TLS there is no descriptor to write to without blocking: every packet goes
// through the writer goroutine, still intact and in order.
func TestWebSocketOverTLS(t *testing.T) {
	h := &handler{peers: make(chan *peer, 1)}
	eio := engineio.NewServer(engineio.Config{SendQueue: 1 << 20}, h)
	srv := httptest.NewTLSServer(eio)
	defer srv.Close()
	c := &wsClient{frames: make(chan frame, 64), closed: make(chan struct{})}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{
		Addr:      "wss" + strings.TrimPrefix(srv.URL, "https") + "/?EIO=4&transport=websocket",
		TlsConfig: &tls.Config{InsecureSkipVerify: true}, // httptest's own certificate
	})
	if err != nil {
		t.Fatal(err)
	}
	c.conn = conn
	go conn.ReadLoop()
	defer func() { _ = conn.NetConn().Close(); <-c.closed }()
	c.next(t) // open
	p := <-h.peers
	var want []string
	for i := range 200 {
		msg := fmt.Sprintf("%d:%s", i, bytes.Repeat([]byte("x"), i*97))
		if err := p.sess.Send(engineio.Message{Data: []byte(msg)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "4"+msg)
	}
	for i, w := range want {
		if got := c.nextNonPing(t); got.data != w {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(got.data), len(w))
		}
	}
	c.send(t, "4up")
	if m := p.nextMessage(t); m.data != "up" {
		t.Errorf("read over TLS: %+v", m)
	}
}

// A client may send its first frame right behind the upgrade request, before the
// 101: the frame must not be lost in net/http's buffer.
func TestWebSocketFrameRightBehindRequest(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := rawUpgradeRequest
	payload := []byte("4early")
	mask := []byte{1, 2, 3, 4}
	frame := append([]byte{0x81, 0x80 | byte(len(payload))}, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	p := ts.nextPeer(t)
	if m := p.nextMessage(t); m.data != "early" || m.binary {
		t.Fatalf("delivered %+v, want the frame sent with the request", m)
	}
}
