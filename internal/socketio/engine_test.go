package socketio

// Tests through a real engineio server over WebSocket, the way the socket.io-protocol
// suite talks to the server: raw frames compared as exact strings.

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/lxzan/gws"
)

// wsFrame is one frame the test client received.
type wsFrame struct {
	text   string
	binary []byte
}

// wsClient is a raw Engine.IO WebSocket client that answers pings.
type wsClient struct {
	conn   *gws.Conn
	frames chan wsFrame
	closed chan struct{}
}

func (c *wsClient) OnOpen(*gws.Conn)             {}
func (c *wsClient) OnClose(*gws.Conn, error)     { close(c.closed) }
func (c *wsClient) OnPing(s *gws.Conn, p []byte) { _ = s.WritePong(p) }
func (c *wsClient) OnPong(*gws.Conn, []byte)     {}
func (c *wsClient) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	if m.Opcode == gws.OpcodeBinary {
		c.frames <- wsFrame{binary: bytes.Clone(m.Bytes())}
		return
	}
	text := m.Data.String()
	if text == "2" {
		_ = s.WriteString("3")
		return
	}
	c.frames <- wsFrame{text: text}
}

func engineServer(t *testing.T) string {
	srv := NewServer(Config{
		Engine:         engineio.Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond},
		ConnectTimeout: 300 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	root := srv.Of("/")
	root.OnConnect(func(s *Socket) { _ = s.EmitPayload("auth", Payload{Args: []json.RawMessage{authOrEmpty(s)}}) })
	root.On("message", func(s *Socket, e *Event) { _ = s.EmitPayload("message-back", e.Payload) })
	root.On("message-with-ack", func(_ *Socket, e *Event) { _ = e.AckPayload(e.Payload) })
	srv.Of("/custom").OnConnect(func(s *Socket) { _ = s.EmitPayload("auth", Payload{Args: []json.RawMessage{authOrEmpty(s)}}) })
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Shutdown(t.Context())
		ts.Close()
	})
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
}

func dialWS(t *testing.T, url string) *wsClient {
	t.Helper()
	c := &wsClient{frames: make(chan wsFrame, 64), closed: make(chan struct{})}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: url})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.conn = conn
	go conn.ReadLoop()
	t.Cleanup(func() {
		_ = conn.WriteClose(1000, nil)
		<-c.closed
	})
	if f := c.next(t); !strings.HasPrefix(f.text, `0{"sid":`) {
		t.Fatalf("handshake %q", f.text)
	}
	return c
}

func (c *wsClient) next(t *testing.T) wsFrame {
	t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame")
		return wsFrame{}
	}
}

func (c *wsClient) send(t *testing.T, text string) {
	t.Helper()
	if err := c.conn.WriteString(text); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func (c *wsClient) expect(t *testing.T, want string) {
	t.Helper()
	if f := c.next(t); f.text != want || f.binary != nil {
		t.Fatalf("got %q %v, want %q", f.text, f.binary, want)
	}
}

func (c *wsClient) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed")
	}
}

func (c *wsClient) connectMain(t *testing.T) {
	t.Helper()
	c.send(t, "40")
	if f := c.next(t); !strings.HasPrefix(f.text, `40{"sid":"`) {
		t.Fatalf("connect reply %q", f.text)
	}
	c.expect(t, `42["auth",{}]`)
}

func TestEngineConnect(t *testing.T) {
	url := engineServer(t)
	c := dialWS(t, url)
	c.send(t, `40/custom,{"token":"abc"}`)
	if f := c.next(t); !strings.HasPrefix(f.text, `40/custom,{"sid":"`) {
		t.Fatalf("connect reply %q", f.text)
	}
	c.expect(t, `42/custom,["auth",{"token":"abc"}]`)
	c.send(t, `40/random`)
	c.expect(t, `44/random,{"message":"Invalid namespace"}`)
}

func TestEngineMessages(t *testing.T) {
	c := dialWS(t, engineServer(t))
	c.connectMain(t)
	c.send(t, `42["message",1,"2",{"3":[true]}]`)
	c.expect(t, `42["message-back",1,"2",{"3":[true]}]`)
	c.send(t, `42456["message-with-ack",1,"2",{"3":[false]}]`)
	c.expect(t, `43456[1,"2",{"3":[false]}]`)
	c.send(t, `452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	_ = c.conn.WriteMessage(gws.OpcodeBinary, []byte{1, 2, 3})
	_ = c.conn.WriteMessage(gws.OpcodeBinary, []byte{4, 5, 6})
	c.expect(t, `462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	if f := c.next(t); !bytes.Equal(f.binary, []byte{1, 2, 3}) {
		t.Fatalf("attachment %v %q", f.binary, f.text)
	}
	if f := c.next(t); !bytes.Equal(f.binary, []byte{4, 5, 6}) {
		t.Fatalf("attachment %v %q", f.binary, f.text)
	}
}

func TestEngineCloses(t *testing.T) {
	url := engineServer(t)
	for _, in := range []string{`4abc`, `42{}`, `42abc["message-with-ack",1]`} {
		c := dialWS(t, url)
		c.connectMain(t)
		c.send(t, in)
		c.waitClosed(t)
	}
	idle := dialWS(t, url)
	idle.waitClosed(t) // connect timeout
}

func TestEngineNamespaceDisconnect(t *testing.T) {
	c := dialWS(t, engineServer(t))
	c.connectMain(t)
	c.send(t, "40/custom")
	if f := c.next(t); !strings.HasPrefix(f.text, `40/custom,{"sid":"`) {
		t.Fatalf("connect reply %q", f.text)
	}
	c.expect(t, `42/custom,["auth",{}]`)
	c.send(t, "41/custom")
	c.send(t, `42["message","message to main namespace"]`)
	c.expect(t, `42["message-back","message to main namespace"]`)
}

func TestEngineStats(t *testing.T) {
	srv := NewServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv.Of("/")
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Shutdown(t.Context())
		ts.Close()
	})
	if got := srv.EngineStats().SessionsOpened; got != 0 {
		t.Fatalf("sessions opened before any client = %d", got)
	}
	c := dialWS(t, "ws"+strings.TrimPrefix(ts.URL, "http")+"/socket.io/?EIO=4&transport=websocket")
	c.send(t, "40")
	if f := c.next(t); !strings.HasPrefix(f.text, `40{"sid":"`) {
		t.Fatalf("connect reply %q", f.text)
	}
	// An invalid Socket.IO packet makes this layer close the Engine.IO session, which
	// the engine counts as a forced close.
	c.send(t, `42{}`)
	c.waitClosed(t)
	deadline := time.Now().Add(5 * time.Second)
	for srv.EngineStats().ClosedForced == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := srv.EngineStats()
	if st.SessionsOpened != 1 || st.ClosedForced != 1 || st.MessagesIn < 2 {
		t.Fatalf("engine stats %+v, want 1 session opened, 1 forced close, ≥ 2 messages in", st)
	}
}

// The CONNECT reply leaves before OnConnect runs, as from socket.io: a client reading
// frame by frame gets it in a write of its own, and is not kept waiting for whatever
// OnConnect does first (a cluster round trip, say).
func TestEngineConnectReplyPrecedesOnConnect(t *testing.T) {
	srv := NewServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	release := make(chan struct{})
	srv.Of("/").OnConnect(func(s *Socket) {
		<-release
		_ = s.Emit("welcome")
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Shutdown(t.Context())
		ts.Close()
	})
	c := dialWS(t, "ws"+strings.TrimPrefix(ts.URL, "http")+"/socket.io/?EIO=4&transport=websocket")
	c.send(t, "40")
	select {
	case f := <-c.frames:
		if !strings.HasPrefix(f.text, `40{"sid":"`) {
			t.Fatalf("connect reply %q", f.text)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("the CONNECT reply waited for OnConnect")
	}
	close(release)
	c.expect(t, `42["welcome"]`)
}
