package engineio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/lxzan/gws"
)

// waitTimeout bounds every wait of the tests; it is a failure guard, not a speed claim.
const waitTimeout = 5 * time.Second

type inbound struct {
	data   string
	binary bool
}

// peer is the server side of one session as the tests observe it.
type peer struct {
	sess   *engineio.Session
	msgs   chan inbound
	closed chan engineio.CloseReason
	echo   bool
	// closeOn makes OnMessage close the session when it receives this text.
	closeOn string
	// inCall detects a Receiver method running concurrently with another.
	inCall atomic.Bool
}

func (p *peer) enter() {
	if !p.inCall.CompareAndSwap(false, true) {
		panic("Receiver methods called concurrently")
	}
}

func (p *peer) OnMessage(data []byte, binary bool) {
	p.enter()
	defer p.inCall.Store(false)
	p.msgs <- inbound{string(data), binary}
	if p.closeOn != "" && string(data) == p.closeOn {
		p.sess.Close()
	}
	if p.echo {
		_ = p.sess.Send(engineio.Message{Data: bytes.Clone(data), Binary: binary})
	}
}

func (p *peer) OnClose(reason engineio.CloseReason) {
	p.enter()
	defer p.inCall.Store(false)
	p.closed <- reason
}

func (p *peer) nextMessage(t testing.TB) inbound {
	t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("no message delivered")
	}
	return inbound{}
}

func (p *peer) waitClosed(t testing.TB) engineio.CloseReason {
	t.Helper()
	select {
	case r := <-p.closed:
		return r
	case <-time.After(waitTimeout):
		t.Fatal("session not closed")
	}
	return 0
}

// handler hands every accepted session to the test through peers.
type handler struct {
	peers   chan *peer
	echo    bool
	closeOn string
}

func (h *handler) Accept(s *engineio.Session) engineio.Receiver {
	p := &peer{sess: s, msgs: make(chan inbound, 64), closed: make(chan engineio.CloseReason, 2), echo: h.echo, closeOn: h.closeOn}
	h.peers <- p
	return p
}

type testServer struct {
	eio  *engineio.Server
	http *httptest.Server
	h    *handler
}

// newTestServer serves cfg at /engine.io/ and shuts everything down at cleanup.
func newTestServer(t testing.TB, cfg engineio.Config, echo bool) *testServer {
	t.Helper()
	h := &handler{peers: make(chan *peer, 16), echo: echo}
	ts := &testServer{eio: engineio.NewServer(cfg, h), h: h}
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", ts.eio)
	ts.http = httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := ts.eio.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		ts.http.Close()
	})
	return ts
}

func (ts *testServer) url(query string) string {
	return ts.http.URL + "/engine.io/?" + query
}

func (ts *testServer) wsURL(query string) string {
	return "ws" + strings.TrimPrefix(ts.http.URL, "http") + "/engine.io/?" + query
}

func (ts *testServer) nextPeer(t testing.TB) *peer {
	t.Helper()
	select {
	case p := <-ts.h.peers:
		return p
	case <-time.After(waitTimeout):
		t.Fatal("no session accepted")
	}
	return nil
}

type response struct {
	status int
	body   string
	header http.Header
}

func do(t testing.TB, method, url, body string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, string(b), res.Header}
}

type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func parseOpen(t testing.TB, s string) openPacket {
	t.Helper()
	if !strings.HasPrefix(s, "0") {
		t.Fatalf("open packet = %q, want a 0 prefix", s)
	}
	var o openPacket
	if err := json.Unmarshal([]byte(s[1:]), &o); err != nil {
		t.Fatalf("open packet %q: %v", s, err)
	}
	return o
}

// pollingSession opens a polling session and returns its sid and server-side peer.
func (ts *testServer) pollingSession(t testing.TB) (string, *peer) {
	t.Helper()
	res := do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("handshake status = %d, body %q", res.status, res.body)
	}
	return parseOpen(t, res.body).SID, ts.nextPeer(t)
}

func (ts *testServer) poll(t testing.TB, sid string) response {
	t.Helper()
	return do(t, http.MethodGet, ts.url("EIO=4&transport=polling&sid="+sid), "", nil)
}

func (ts *testServer) post(t testing.TB, sid, body string) response {
	t.Helper()
	return do(t, http.MethodPost, ts.url("EIO=4&transport=polling&sid="+sid), body, nil)
}

type frame struct {
	data   string
	binary bool
}

// wsClient is a gws client collecting the frames it receives.
type wsClient struct {
	conn   *gws.Conn
	frames chan frame
	closed chan struct{}
}

func (c *wsClient) OnOpen(*gws.Conn)         {}
func (c *wsClient) OnPing(*gws.Conn, []byte) {}
func (c *wsClient) OnPong(*gws.Conn, []byte) {}
func (c *wsClient) OnClose(*gws.Conn, error) { close(c.closed) }
func (c *wsClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	c.frames <- frame{string(m.Bytes()), m.Opcode == gws.OpcodeBinary}
	_ = m.Close()
}

// dial opens a WebSocket; the client is closed at cleanup.
func dial(t testing.TB, url string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	c := &wsClient{frames: make(chan frame, 64), closed: make(chan struct{})}
	conn, res, err := gws.NewClient(c, &gws.ClientOption{Addr: url, RequestHeader: header})
	if err != nil {
		return nil, res, err
	}
	c.conn = conn
	go conn.ReadLoop()
	t.Cleanup(func() {
		_ = conn.NetConn().Close()
		<-c.closed
	})
	return c, res, nil
}

func mustDial(t testing.TB, url string) *wsClient {
	t.Helper()
	c, _, err := dial(t, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return c
}

func (c *wsClient) next(t testing.TB) frame {
	t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-time.After(waitTimeout):
		t.Fatal("no frame received")
	}
	return frame{}
}

// nextNonPing skips the server's PINGs.
func (c *wsClient) nextNonPing(t testing.TB) frame {
	t.Helper()
	for {
		if f := c.next(t); f.binary || f.data != "2" {
			return f
		}
	}
}

func (c *wsClient) send(t testing.TB, s string) {
	t.Helper()
	if err := c.conn.WriteString(s); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

func (c *wsClient) waitClosed(t testing.TB) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(waitTimeout):
		t.Fatal("websocket not closed by the server")
	}
}

// eventually waits until cond holds.
func eventually(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
