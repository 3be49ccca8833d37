package broker

// A harness of chatd nodes in one process: each a socketio.Server with its own
// RedisAdapter on an httptest server, with raw WebSocket clients connected through
// the real engineio.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/redis/go-redis/v9"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// waitTimeout bounds every wait; it only guards against hangs.
const waitTimeout = 5 * time.Second

// testRedisURL returns the Redis of the tests: CHATD_TEST_REDIS, or the local default.
// CHATD_TEST_REDIS=skip skips the test; an unreachable Redis fails it.
func testRedisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("CHATD_TEST_REDIS")
	if url == "skip" {
		t.Skip("CHATD_TEST_REDIS=skip")
	}
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("CHATD_TEST_REDIS: %v", err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s unreachable (set CHATD_TEST_REDIS=skip to skip): %v", url, err)
	}
	return url
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// cluster is a set of nodes sharing one Redis and a channel prefix unique to the test.
type cluster struct {
	t      *testing.T
	url    string
	prefix string
	redis  *redis.Client // for PUBSUB NUMSUB
}

func newCluster(t *testing.T, url string) *cluster {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, url: url, prefix: "chatdtest-" + rand.Text()[:10], redis: redis.NewClient(opts)}
	t.Cleanup(func() { _ = c.redis.Close() })
	return c
}

// node is one chatd node: a Socket.IO server on its own RedisAdapter.
type node struct {
	t       *testing.T
	adapter *RedisAdapter
	srv     *socketio.Server
	http    *httptest.Server
}

// node starts a node and waits until its adapter is ready.
func (c *cluster) node(name string) *node { return c.startNode(name, nil) }

// startNode starts a node and waits until its adapter is ready; recovery, when not nil,
// returns the server's recovery settings for the node's adapter.
func (c *cluster) startNode(name string, recovery func(*RedisAdapter) *socketio.Recovery) *node {
	c.t.Helper()
	a, err := NewRedisAdapter(context.Background(), c.url, discardLogger(), &Options{Prefix: c.prefix, NodeID: name})
	if err != nil {
		c.t.Fatal(err)
	}
	cfg := socketio.Config{Engine: engineio.Config{Logger: discardLogger()}, Logger: discardLogger(), Adapter: a}
	if recovery != nil {
		cfg.Recovery = recovery(a)
	}
	srv := socketio.NewServer(cfg)
	srv.Of("/")
	n := &node{t: c.t, adapter: a, srv: srv, http: httptest.NewServer(srv)}
	c.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
		n.http.Close()
		if err := a.Close(); err != nil {
			c.t.Errorf("close adapter %s: %v", name, err)
		}
	})
	waitFor(c.t, name+" ready", func() bool { return a.Ready(context.Background()) == nil })
	return n
}

// numSub returns how many connections subscribe to room's channel.
func (c *cluster) numSub(room socketio.Room) int64 {
	c.t.Helper()
	ch := c.prefix + ":/:r:" + string(room)
	res, err := c.redis.PubSubNumSub(context.Background(), ch).Result()
	if err != nil {
		c.t.Fatalf("pubsub numsub: %v", err)
	}
	return res[ch]
}

// waitSubscribers waits until n connections subscribe to room's channel.
func (c *cluster) waitSubscribers(room socketio.Room, n int64) {
	c.t.Helper()
	waitFor(c.t, "subscribers of "+string(room), func() bool { return c.numSub(room) == n })
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// emit broadcasts event with one argument from this node.
func (n *node) emit(b socketio.BroadcastOperator, event string, arg any) {
	n.t.Helper()
	if err := b.Emit(event, arg); err != nil {
		n.t.Fatalf("emit %s: %v", event, err)
	}
}

// socket returns the server side of a client.
func (n *node) socket(c *client) *socketio.Socket {
	n.t.Helper()
	s, ok := n.srv.Of("/").Socket(c.sid)
	if !ok {
		n.t.Fatalf("no socket %s", c.sid)
	}
	return s
}

// join puts the client's socket in rooms.
func (n *node) join(c *client, rooms ...socketio.Room) { n.socket(c).Join(rooms...) }

// client is a raw Socket.IO client connected to the main namespace over WebSocket.
type client struct {
	t      *testing.T
	sid    string
	conn   *gws.Conn
	frames chan string
	closed chan struct{}
}

func (c *client) OnOpen(*gws.Conn)             {}
func (c *client) OnClose(*gws.Conn, error)     { close(c.closed) }
func (c *client) OnPing(s *gws.Conn, p []byte) { _ = s.WritePong(p) }
func (c *client) OnPong(*gws.Conn, []byte)     {}
func (c *client) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	text := m.Data.String()
	if text == "2" {
		_ = s.WriteString("3")
		return
	}
	c.frames <- text
}

// connect opens a session on the node and connects to the main namespace.
func (n *node) connect() *client {
	n.t.Helper()
	c, _ := n.connectWith("")
	return c
}

// connectWith opens a session on the node and connects to the main namespace with
// the CONNECT payload auth ("" for none); it returns the client and the reply's pid
// (empty without connection-state recovery).
func (n *node) connectWith(auth string) (*client, string) {
	n.t.Helper()
	c := &client{t: n.t, frames: make(chan string, 256), closed: make(chan struct{})}
	addr := "ws" + strings.TrimPrefix(n.http.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: addr})
	if err != nil {
		n.t.Fatalf("dial: %v", err)
	}
	c.conn = conn
	go conn.ReadLoop()
	n.t.Cleanup(c.close)
	if f := c.next(); !strings.HasPrefix(f, "0{") {
		n.t.Fatalf("open: %q", f)
	}
	if err := conn.WriteString("40" + auth); err != nil {
		n.t.Fatal(err)
	}
	f := c.next()
	var hello struct{ SID, PID string }
	if !strings.HasPrefix(f, "40{") || json.Unmarshal([]byte(f[2:]), &hello) != nil || hello.SID == "" {
		n.t.Fatalf("connect: %q", f)
	}
	c.sid = hello.SID
	return c, hello.PID
}

func (c *client) close() {
	c.conn.WriteClose(1000, nil)
	select {
	case <-c.closed:
	case <-time.After(waitTimeout):
		c.t.Errorf("client %s did not close", c.sid)
	}
}

// next returns the next frame.
func (c *client) next() string {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-time.After(waitTimeout):
		c.t.Fatalf("client %s: no frame within %v", c.sid, waitTimeout)
		return ""
	}
}

// eventsUntil returns the frames received before the event frame end, which it
// consumes.
func (c *client) eventsUntil(end string) []string {
	c.t.Helper()
	var got []string
	for {
		f := c.next()
		if f == end {
			return got
		}
		got = append(got, f)
	}
}

// fence broadcasts a marker from n to the whole namespace and waits until every
// client received it; broadcasts sent by n before it have then arrived (one node's
// publishes reach each subscriber in order). It returns what each client received
// before the marker.
func fence(n *node, clients ...*client) [][]string {
	n.t.Helper()
	n.emit(n.srv.Of("/").To(), "fence", 0)
	got := make([][]string, len(clients))
	for i, c := range clients {
		got[i] = c.eventsUntil(`42["fence",0]`)
	}
	return got
}
