package broker

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// recoveryNode starts a node whose server keeps recovery state in Redis, and waits
// until it is ready. opts may be nil.
func (c *cluster) recoveryNode(name string, opts *RecoveryOptions) (*node, *RedisRecovery) {
	c.t.Helper()
	var rec *RedisRecovery
	n := c.startNode(name, func(a *RedisAdapter) *socketio.Recovery {
		rec = NewRedisRecovery(a, opts)
		return &socketio.Recovery{MaxDisconnection: opts.window(), Store: rec}
	})
	return n, rec
}

// connectAuth is connectWith on a node with recovery: the reply must carry a pid.
func (n *node) connectAuth(auth string) (*client, string) {
	n.t.Helper()
	c, pid := n.connectWith(auth)
	if pid == "" {
		n.t.Fatalf("connect: no pid in the reply of a node with recovery")
	}
	return c, pid
}

// drop cuts the client's connection without a goodbye (a recoverable "transport
// close") and waits until the node persisted its session.
func (n *node) drop(c *client, cl *cluster, pid string) {
	n.t.Helper()
	_ = c.conn.NetConn().Close()
	waitFor(n.t, "session of "+c.sid, func() bool {
		return cl.redis.Exists(context.Background(), cl.prefix+":rec:/:s:"+pid).Val() == 1
	})
}

var offsetArg = regexp.MustCompile(`,"([^"]+)"\]$`)

// offsetOf returns the offset (last argument) of an event frame.
func offsetOf(t *testing.T, frame string) string {
	t.Helper()
	m := offsetArg.FindStringSubmatch(frame)
	if m == nil {
		t.Fatalf("no offset in %q", frame)
	}
	return m[1]
}

// withoutOffset returns an event frame without its last argument.
func withoutOffset(frame string) string { return offsetArg.ReplaceAllString(frame, "]") }

// waitLogged waits until the log of namespace / has n entries.
func (c *cluster) waitLogged(n int64) {
	c.t.Helper()
	waitFor(c.t, "log entries", func() bool { return c.redis.XLen(context.Background(), c.prefix+":rec:/:log").Val() == n })
}

func recoverAuth(pid, offset string) string {
	return `{"pid":"` + pid + `","offset":"` + offset + `"}`
}

func TestRecoveryOnAnotherNode(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1, r1 := c.recoveryNode("n1", nil)
	n2, r2 := c.recoveryNode("n2", nil)
	n3, r3 := c.recoveryNode("n3", nil)
	away, pid := n1.connectAuth("")
	n1.join(away, "r", "s")
	peer := n3.connect()
	n3.join(peer, "r")
	c.waitSubscribers("r", 2)

	n3.emit(n3.srv.Of("/").To("r"), "before", 0)
	if f := away.next(); withoutOffset(f) != `42["before",0]` {
		t.Fatalf("frame %q", f)
	}
	if err := n1.socket(away).Emit("direct", 0); err != nil {
		t.Fatal(err)
	}
	offset := offsetOf(t, away.next()) // the last packet the client got
	c.waitLogged(2)
	n1.drop(away, c, pid)
	c.waitSubscribers("s", 0)

	// Each broadcast is logged before the next is made: they have an order.
	logged := int64(2)
	for _, e := range []struct {
		n *node
		b socketio.BroadcastOperator
	}{
		{n2, n2.srv.Of("/").To("r")},                     // 1: missed
		{n3, n3.srv.Of("/").To("other")},                 // 2: not for it
		{n1, n1.srv.Of("/").To("s", "r")},                // 3: missed once
		{n3, n3.srv.Of("/").Except("s")},                 // 4: excluded by room
		{n2, n2.srv.Of("/").To()},                        // 5: missed
		{n3, n3.srv.Of("/").To(socketio.Room(away.sid))}, // 6: its own room: missed
		{n3, n3.srv.Of("/").To("r")},                     // 7: missed
	} {
		logged++
		e.n.emit(e.b, "m", logged-2)
		c.waitLogged(logged)
	}

	back, pid2 := n2.connectAuth(recoverAuth(pid, offset))
	if back.sid != away.sid || pid2 != pid {
		t.Fatalf("restored sid %q pid %q, want %q %q", back.sid, pid2, away.sid, pid)
	}
	var got []string
	seen := map[string]bool{}
	for range 5 {
		f := back.next()
		if o := offsetOf(t, f); seen[o] {
			t.Errorf("offset %s twice", o)
		} else {
			seen[o] = true
		}
		got = append(got, withoutOffset(f))
	}
	want := []string{`42["m",1]`, `42["m",3]`, `42["m",5]`, `42["m",6]`, `42["m",7]`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("replayed %q, want %q", got, want)
	}
	s := n2.socket(back)
	if !s.Recovered() || !s.InRoom("r") || !s.InRoom("s") {
		t.Fatalf("recovered %v, rooms %v", s.Recovered(), s.Rooms())
	}

	// It is live on node 2 now: a broadcast from node 1 to r reaches it once.
	c.waitSubscribers("s", 1)
	c.waitSubscribers("r", 2)
	n1.emit(n1.srv.Of("/").To("r"), "live", 8)
	if f := back.next(); withoutOffset(f) != `42["live",8]` {
		t.Fatalf("live frame %q", f)
	}

	// A session is restored once, on one node.
	again, _ := n3.connectAuth(recoverAuth(pid, offset))
	if again.sid == away.sid {
		t.Fatal("session restored twice")
	}
	for i, n := range []*node{n1, n2, n3} {
		if f, st := []*RedisRecovery{r1, r2, r3}[i].Failed(), n.adapter.Stats(); f != 0 || st.PublishErrors != 0 || st.Published == 0 {
			t.Errorf("node %d: log failures %d, stats %+v", i+1, f, st)
		}
	}
}

func TestRecoveryRefusedAcrossNodes(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1, _ := c.recoveryNode("n1", &RecoveryOptions{Window: 300 * time.Millisecond})
	n2, _ := c.recoveryNode("n2", &RecoveryOptions{Window: 300 * time.Millisecond})
	tests := []struct {
		name string
		auth func(pid, offset string) string
		wait time.Duration
	}{
		{"unknown pid", func(_, offset string) string { return recoverAuth("nope", offset) }, 0},
		{"offset never logged", func(pid, offset string) string {
			tag, _, _ := strings.Cut(offset, ".")
			return recoverAuth(pid, tag+"."+strings.Split(offset, ".")[1]+".zzzz")
		}, 0},
		{"malformed offset", func(pid, _ string) string { return recoverAuth(pid, "1") }, 0},
		{"expired", recoverAuth, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, pid := n1.connectAuth("")
			n1.emit(n1.srv.Of("/").To(), "ev", 1)
			offset := offsetOf(t, cl.next())
			waitFor(t, "log written", func() bool {
				return c.redis.XLen(context.Background(), c.prefix+":rec:/:log").Val() > 0
			})
			n1.drop(cl, c, pid)
			time.Sleep(tt.wait)
			back, pid2 := n2.connectAuth(tt.auth(pid, offset))
			if back.sid == cl.sid || pid2 == pid || n2.socket(back).Recovered() {
				t.Fatalf("restored sid %q pid %q", back.sid, pid2)
			}
		})
	}
}

func TestRecoveryKeysExpire(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	window := 3 * time.Second
	n1, _ := c.recoveryNode("n1", &RecoveryOptions{Window: window})
	cl, pid := n1.connectAuth("")
	n1.emit(n1.srv.Of("/").To(), "ev", 1)
	cl.next()
	c.waitLogged(1)
	n1.drop(cl, c, pid)
	ctx := context.Background()
	if ttl := c.redis.PTTL(ctx, c.prefix+":rec:/:s:"+pid).Val(); ttl <= 0 || ttl > window {
		t.Errorf("session ttl %v, want (0, %v]", ttl, window)
	}
	if ttl := c.redis.PTTL(ctx, c.prefix+":rec:/:log").Val(); ttl <= 0 || ttl > window+clockSlack+window/4 {
		t.Errorf("log ttl %v, want (0, %v]", ttl, window+clockSlack+window/4)
	}
}

func TestRecoveryOffsetsUniqueAcrossNodes(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	_, r1 := c.recoveryNode("n1", nil)
	_, r2 := c.recoveryNode("n2", nil)
	l1, l2 := r1.Log("/"), r2.Log("/")
	seen := map[string]bool{}
	before := time.Now().UnixMilli()
	for range 100 {
		for _, o := range []string{l1.Reserve(), l2.Reserve()} {
			if seen[o] {
				t.Fatalf("offset %s twice", o)
			}
			seen[o] = true
			if ms, ok := offsetTime(o); !ok || ms < before || ms > time.Now().UnixMilli() {
				t.Fatalf("offset %s: time %d ok %v", o, ms, ok)
			}
			if _, err := json.Marshal(o); err != nil || strings.ContainsAny(o, `"\`) {
				t.Fatalf("offset %q needs escaping", o)
			}
		}
	}
}

func TestRecoveryCarriesValueWithCodec(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	opts := &RecoveryOptions{
		EncodeValue: func(v any) ([]byte, error) { return json.Marshal(v) },
		DecodeValue: func(b []byte) (any, error) {
			var s string
			err := json.Unmarshal(b, &s)
			return s, err
		},
	}
	n1, _ := c.recoveryNode("n1", opts)
	n2, _ := c.recoveryNode("n2", opts)
	cl, pid := n1.connectAuth("")
	n1.socket(cl).SetValue("alice")
	n1.emit(n1.srv.Of("/").To(), "ev", 1)
	offset := offsetOf(t, cl.next())
	waitFor(t, "log written", func() bool { return c.redis.XLen(context.Background(), c.prefix+":rec:/:log").Val() > 0 })
	n1.drop(cl, c, pid)
	back, _ := n2.connectAuth(recoverAuth(pid, offset))
	if s := n2.socket(back); !s.Recovered() || s.Value() != "alice" {
		t.Fatalf("recovered %v value %v", s.Recovered(), s.Value())
	}
}

// BenchmarkBroadcastRecovery measures what one room broadcast costs the broadcasting
// goroutine with the Redis adapter, with recovery off and on (Redis writes happen on
// the publish goroutine and are not part of ns/op).
func BenchmarkBroadcastRecovery(b *testing.B) {
	url := testRedisURL(&testing.T{})
	for _, on := range []bool{false, true} {
		b.Run("recovery="+strconv.FormatBool(on), func(b *testing.B) {
			a, err := NewRedisAdapter(context.Background(), url, discardLogger(), &Options{Prefix: "chatdbench-" + rand.Text()[:10]})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			cfg := socketio.Config{Engine: engineio.Config{Logger: discardLogger()}, Logger: discardLogger(), Adapter: a}
			if on {
				cfg.Recovery = &socketio.Recovery{Store: NewRedisRecovery(a, nil)}
			}
			ns := socketio.NewServer(cfg).Of("/")
			for !a.live.Load() {
				time.Sleep(time.Millisecond)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := ns.To("room").Emit("newMessage", "hello"); err != nil {
					b.Fatal(err)
				}
				for len(a.pubq) > cap(a.pubq)/2 { // let Redis keep up: nothing dropped
					time.Sleep(100 * time.Microsecond)
				}
			}
		})
	}
}

func TestMissedItems(t *testing.T) {
	// Node 1 is the node the socket was on. In each log, "late" marks a broadcast
	// whose place in the log differs from its place on node 1's sockets.
	tests := []struct {
		name  string
		items []logItem
		x     string
		want  []string
	}{
		{"last was the node's own", []logItem{
			{offset: "2.a.1"},
			{offset: "1.a.1", dep: "2.a.1"},
			{offset: "3.a.1"},               // late: logged before x, delivered on node 1 after it
			{offset: "1.a.2", dep: "2.a.1"}, // x
			{offset: "1.a.3", dep: "3.a.1"},
			{offset: "2.a.2"},
		}, "1.a.2", []string{"3.a.1", "1.a.3", "2.a.2"}},
		{"last was another node's", []logItem{
			{offset: "1.b.1"},
			{offset: "2.b.1"}, // x
			{offset: "1.b.2"}, // late: delivered before x (no dep yet), logged after it
			{offset: "3.b.1"},
			{offset: "1.b.3", dep: "2.b.1"},
			{offset: "1.b.4", dep: "3.b.1"},
			{offset: "1.b.5", dep: "2.a.0"}, // dep before x: delivered before it
		}, "2.b.1", []string{"3.b.1", "1.b.3", "1.b.4"}},
		{"own, dep before the items read", []logItem{
			{offset: "2.c.1"},
			{offset: "1.c.1", dep: "2.c.0"}, // x
			{offset: "1.c.2", dep: "2.c.1"},
		}, "1.c.1", []string{"2.c.1", "1.c.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, found := missedItems(tt.items, tt.x, "1")
			var got []string
			for _, i := range idx {
				got = append(got, tt.items[i].offset)
			}
			if !found || strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("missed %v (found %v), want %v", got, found, tt.want)
			}
		})
	}
	if _, found := missedItems([]logItem{{offset: "1.a.1"}}, "1.a.2", "1"); found {
		t.Error("found an offset that is not logged")
	}
}

func TestPacketOffset(t *testing.T) {
	for frame, want := range map[string]string{
		`2["m",1,"1.x.3"]`: "1.x.3",
		`51-/chat,["m",{"_placeholder":true,"num":0},"a.b.c"]`: "a.b.c",
		`2["m",1]`:   "",
		`2["1.x.3"]`: "",
		`2`:          "",
	} {
		got, ok := packetOffset([]byte(frame))
		if got != want || ok != (want != "") {
			t.Errorf("packetOffset(%s) = %q %v, want %q", frame, got, ok, want)
		}
	}
}

func TestLogEntryRecordsLastRelayed(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1, r1 := c.recoveryNode("n1", nil)
	n2, _ := c.recoveryNode("n2", nil)
	member, _ := n1.connectAuth("")
	n1.join(member, "r")
	c.waitSubscribers("r", 1)
	n1.emit(n1.srv.Of("/").To("r"), "own", 0) // nothing relayed yet
	member.next()
	n2.emit(n2.srv.Of("/").To("r"), "relayed", 1)
	relayed := offsetOf(t, member.next())
	waitFor(t, "relayed noted", func() bool { return r1.lookup("/").relayed.Load() != nil })
	n1.emit(n1.srv.Of("/").To("r"), "own", 2)
	c.waitLogged(3)
	entries := c.redis.XRange(context.Background(), c.prefix+":rec:/:log", "-", "+").Val()
	if entries[0].Values["d"] != "" || entries[2].Values["d"] != relayed {
		t.Fatalf("deps %q %q, want \"\" %q", entries[0].Values["d"], entries[2].Values["d"], relayed)
	}
}
