package loadgen

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

// fakeServer is just enough of the chat contract, over WebSocket only, to drive the
// generator — and to misbehave on demand, which the real server never does, so that
// the generator's error detection can be tested.
type fakeServer struct {
	refuseConnect bool
	refuseJoin    bool
	dupEvery      int // deliver every n-th broadcast twice to its first receiver
	dropEvery     int // skip the first receiver of every n-th broadcast

	mu    sync.Mutex
	rooms map[string][]*gws.Conn // guarded by mu
	msgs  int                    // guarded by mu
	node  map[*gws.Conn]int      // guarded by mu: which listener a connection came in on
	joins map[string][]int       // guarded by mu: by room, joins per listener

	pongs atomic.Int64
	conns sync.WaitGroup // the connections' read loops
}

func startFake(t *testing.T, f *fakeServer) string {
	t.Helper()
	return startFakeCluster(t, f, 1)[0]
}

// startFakeCluster serves f on n listeners, the nodes of a fake cluster: they share
// f's rooms, so a broadcast reaches the room's members on every node, as a broker
// would make it.
func startFakeCluster(t *testing.T, f *fakeServer, n int) []string {
	t.Helper()
	f.rooms = make(map[string][]*gws.Conn)
	f.node = make(map[*gws.Conn]int)
	f.joins = make(map[string][]int)
	up := gws.NewUpgrader(f, &gws.ServerOption{})
	var urls []string
	var servers []*httptest.Server
	for node := range n {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r)
			if err != nil {
				return
			}
			f.mu.Lock()
			f.node[c] = node
			f.mu.Unlock()
			f.conns.Go(c.ReadLoop)
		}))
		servers = append(servers, srv)
		urls = append(urls, srv.URL)
	}
	t.Cleanup(func() {
		for _, srv := range servers {
			srv.Close()
		}
		// The generator has closed its side; wait for our read loops to see it, so
		// that the leak check does not catch them on their way out.
		done := make(chan struct{})
		go func() { f.conns.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the fake server's connections did not close")
		}
	})
	return urls
}

// joinsByNode returns, for each room, how many joins each node saw.
func (f *fakeServer) joinsByNode() map[string][]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string][]int, len(f.joins))
	for room, n := range f.joins {
		out[room] = slices.Clone(n)
	}
	return out
}

func (f *fakeServer) OnOpen(c *gws.Conn) {
	_ = c.WriteString(`0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
}

func (f *fakeServer) OnClose(c *gws.Conn, _ error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.node, c)
	for room, conns := range f.rooms {
		for i, m := range conns {
			if m == c {
				f.rooms[room] = append(conns[:i:i], conns[i+1:]...)
				break
			}
		}
	}
}

func (f *fakeServer) OnPing(c *gws.Conn, p []byte) { _ = c.WritePong(p) }
func (f *fakeServer) OnPong(*gws.Conn, []byte)     {}

func (f *fakeServer) OnMessage(c *gws.Conn, msg *gws.Message) {
	defer msg.Close()
	b := msg.Bytes()
	switch {
	case string(b) == "3":
		f.pongs.Add(1)
	case bytes.HasPrefix(b, []byte("40/chat,")):
		if f.refuseConnect {
			_ = c.WriteString(`44/chat,{"message":"unauthorized","data":{"type":"auth","code":"token_invalid"}}`)
			return
		}
		_ = c.WriteString(`40/chat,{"sid":"x"}`)
		_ = c.WriteString("2") // an Engine.IO ping, which the client must answer
	case bytes.HasPrefix(b, []byte("42/chat,")):
		pkt, ok := parseSIO(b[1:])
		if !ok {
			return
		}
		switch {
		case eventIs(pkt.data, "joinRoom"):
			f.join(c, pkt)
		case eventIs(pkt.data, "sendMessage"):
			f.send(c, pkt)
		}
	}
}

func (f *fakeServer) join(c *gws.Conn, pkt sioPacket) {
	room := string(bytes.Trim(pkt.data[len(`["joinRoom",`):len(pkt.data)-1], `"`))
	if f.refuseJoin {
		_ = c.WriteString(fmt.Sprintf(`43/chat,%d[{"error":{"type":"auth","code":"forbidden"}}]`, pkt.id))
		return
	}
	f.mu.Lock()
	f.rooms[room] = append(f.rooms[room], c)
	node := f.node[c]
	for len(f.joins[room]) <= node {
		f.joins[room] = append(f.joins[room], 0)
	}
	f.joins[room][node]++
	f.mu.Unlock()
	_ = c.WriteString(fmt.Sprintf(`43/chat,%d[%q]`, pkt.id, room))
}

func (f *fakeServer) send(c *gws.Conn, pkt sioPacket) {
	content, _ := stringField(pkt.data, keyContent)
	room, _ := stringField(pkt.data, keyRoomID)
	f.mu.Lock()
	f.msgs++
	n := f.msgs
	var others []*gws.Conn
	for _, m := range f.rooms[string(room)] {
		if m != c {
			others = append(others, m)
		}
	}
	f.mu.Unlock()
	_ = c.WriteString(fmt.Sprintf(`43/chat,%d[{"id":"m%d","timestamp":"t","status":"sent","roomId":%q}]`, pkt.id, n, room))
	event := fmt.Sprintf(`42/chat,["newMessage",{"id":"m%d","content":"%s","sender":"u","roomId":%q,"timestamp":"t"}]`, n, content, room)
	for i, m := range others {
		if i == 0 && f.dropEvery > 0 && n%f.dropEvery == 0 {
			continue
		}
		_ = m.WriteString(event)
		if i == 0 && f.dupEvery > 0 && n%f.dupEvery == 0 {
			_ = m.WriteString(event)
		}
	}
}
