package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/broker"
	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
	"github.com/lxzan/gws"
	"github.com/prometheus/client_golang/prometheus"
)

// This file is a small Socket.IO client speaking raw frames over gws, and a harness
// that runs the service on a real socketio.Server over httptest.

// waitTimeout bounds every wait for a frame; it only guards against hangs.
const waitTimeout = 5 * time.Second

// harness is a chat service on a real Socket.IO server.
type harness struct {
	t     *testing.T
	svc   *Service
	clock *fakeClock
	store store.Store
	http  *httptest.Server
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	return newHarnessWith(t, cfg, harnessOptions{})
}

// harnessOptions are the less common settings of a harness.
type harnessOptions struct {
	metrics  prometheus.Registerer // registers the service's metrics
	recovery *socketio.Recovery    // turns connection-state recovery on
	registry broker.Registry       // the cluster registry; nil for a single node
	sqlite   bool                  // a SQLite file store (pipelined sends) instead of memory
}

func newHarnessWith(t *testing.T, cfg Config, opts harnessOptions) *harness {
	t.Helper()
	dsn := ":memory:"
	if opts.sqlite {
		dsn = filepath.Join(t.TempDir(), "chat.db")
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	clk.now = time.Now()
	svc, err := newService(cfg, Deps{Store: st, Verifier: v, Logger: discardLogger(), Metrics: opts.metrics,
		Registry: opts.registry}, clk)
	if err != nil {
		t.Fatal(err)
	}
	srv := socketio.NewServer(socketio.Config{
		Engine: engineio.Config{Logger: discardLogger()}, Logger: discardLogger(), Recovery: opts.recovery,
	})
	svc.Register(srv.Of("/chat"))
	h := &harness{t: t, svc: svc, clock: clk, store: st, http: httptest.NewServer(srv)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		h.http.Close()
		svc.Close()
		_ = st.Close()
	})
	return h
}

func (h *harness) token(sub string, ttl time.Duration, rooms ...string) string {
	h.t.Helper()
	tok, err := auth.Mint(testSecret, auth.MintOptions{Subject: sub, TTL: ttl, Rooms: rooms})
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// dial opens a WebSocket Engine.IO session; query is appended to the URL.
func (h *harness) dial(query string, header http.Header) *wsClient {
	h.t.Helper()
	c := &wsClient{t: h.t, notify: make(chan struct{}, 1), done: make(chan struct{})}
	addr := "ws" + strings.TrimPrefix(h.http.URL, "http") + "/socket.io/?EIO=4&transport=websocket" + query
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: addr, RequestHeader: header})
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	c.conn = conn
	go conn.ReadLoop()
	h.t.Cleanup(c.close)
	c.waitRaw(func(f string) bool { return strings.HasPrefix(f, "0{") })
	return c
}

// connect opens a session and connects to /chat as user, with the token in the auth
// payload; it fails the test unless the connection is accepted.
func (h *harness) connect(user string) *wsClient {
	h.t.Helper()
	c := h.dial("", nil)
	if reply := c.connectChat(`{"token":"` + h.token(user, time.Hour) + `"}`); !strings.HasPrefix(reply, "0/chat,") {
		h.t.Fatalf("connect %s: %s", user, reply)
	}
	return c
}

// wsClient records every frame it receives; waits consume frames in order.
type wsClient struct {
	t      *testing.T
	conn   *gws.Conn
	notify chan struct{}
	done   chan struct{}

	mu     sync.Mutex
	frames []string // guarded by mu; Engine.IO packets not consumed yet
	closed bool     // guarded by mu
	nextID int      // guarded by mu
}

func (c *wsClient) OnOpen(*gws.Conn)                {}
func (c *wsClient) OnPing(conn *gws.Conn, b []byte) { _ = conn.WritePong(b) }
func (c *wsClient) OnPong(*gws.Conn, []byte)        {}

func (c *wsClient) OnClose(*gws.Conn, error) {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
	c.wake()
}

func (c *wsClient) OnMessage(conn *gws.Conn, m *gws.Message) {
	frame := string(m.Bytes())
	m.Close()
	if frame == "2" { // Engine.IO PING
		_ = conn.WriteString("3")
		return
	}
	c.mu.Lock()
	c.frames = append(c.frames, frame)
	c.mu.Unlock()
	c.wake()
}

func (c *wsClient) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *wsClient) close() {
	_ = c.conn.WriteClose(1000, nil)
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		_ = c.conn.NetConn().Close()
		<-c.done
	}
}

// waitRaw consumes and returns the first frame that match accepts.
func (c *wsClient) waitRaw(match func(string) bool) string {
	c.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		c.mu.Lock()
		for i, f := range c.frames {
			if match(f) {
				c.frames = append(c.frames[:i:i], c.frames[i+1:]...)
				c.mu.Unlock()
				return f
			}
		}
		closed := c.closed
		c.mu.Unlock()
		if closed {
			c.t.Fatalf("connection closed while waiting")
		}
		select {
		case <-c.notify:
		case <-deadline:
			c.t.Fatalf("timed out waiting; unconsumed frames: %q", c.pending())
		}
	}
}

func (c *wsClient) pending() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.frames...)
}

func (c *wsClient) send(frame string) {
	c.t.Helper()
	if err := c.conn.WriteString(frame); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// connectChat sends CONNECT to /chat with auth (may be "") and returns the reply
// packet without its Engine.IO prefix: "0/chat,{…}" or "4/chat,{…}".
func (c *wsClient) connectChat(authPayload string) string {
	c.t.Helper()
	c.send("40/chat," + authPayload)
	f := c.waitRaw(func(f string) bool {
		return strings.HasPrefix(f, "40/chat,") || strings.HasPrefix(f, "44/chat,")
	})
	return f[1:]
}

// emit sends an event without ack; args are JSON texts.
func (c *wsClient) emit(event string, args ...string) {
	c.t.Helper()
	c.send("42/chat," + eventArray(event, args))
}

// call sends an event with an ack and returns the ack's first argument.
func (c *wsClient) call(event string, args ...string) json.RawMessage {
	c.t.Helper()
	c.mu.Lock()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	c.mu.Unlock()
	c.send("42/chat," + id + eventArray(event, args))
	prefix := "43/chat," + id + "["
	f := c.waitRaw(func(f string) bool { return strings.HasPrefix(f, prefix) })
	var ackArgs []json.RawMessage
	if err := json.Unmarshal([]byte(f[len(prefix)-1:]), &ackArgs); err != nil || len(ackArgs) == 0 {
		c.t.Fatalf("bad ack %q: %v", f, err)
	}
	return ackArgs[0]
}

func eventArray(event string, args []string) string {
	return "[" + strconv.Quote(event) + strings.Join(append([]string{""}, args...), ",") + "]"
}

// waitEvent consumes the next event named event and returns its first argument.
func (c *wsClient) waitEvent(event string) json.RawMessage {
	c.t.Helper()
	prefix := "42/chat,[" + strconv.Quote(event)
	f := c.waitRaw(func(f string) bool {
		return strings.HasPrefix(f, prefix+",") || f == prefix+"]"
	})
	var args []json.RawMessage
	if err := json.Unmarshal([]byte(f[len("42/chat,"):]), &args); err != nil {
		c.t.Fatalf("bad event %q: %v", f, err)
	}
	if len(args) < 2 {
		return nil
	}
	return args[1]
}

// sync is a barrier: once its ack is back, every frame the server queued for this
// client before it has been received.
func (c *wsClient) sync() {
	c.t.Helper()
	c.call("heartbeat")
}

// noEvent fails the test if an event named event was received (call after sync).
func (c *wsClient) noEvent(event string) {
	c.t.Helper()
	prefix := "42/chat,[" + strconv.Quote(event)
	for _, f := range c.pending() {
		if strings.HasPrefix(f, prefix) {
			c.t.Fatalf("unexpected %s: %s", event, f)
		}
	}
}

// decode unmarshals raw into a map for field checks.
func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

func jsonString(s string) string { return fmt.Sprintf("%q", s) }
