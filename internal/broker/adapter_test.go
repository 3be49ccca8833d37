package broker

import (
	"context"
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/socketio"
)

// count returns how often each frame occurs.
func count(frames []string) map[string]int {
	m := make(map[string]int)
	for _, f := range frames {
		m[f]++
	}
	return m
}

func expectNone(t *testing.T, who string, frames []string) {
	t.Helper()
	if len(frames) != 0 {
		t.Errorf("%s received %q, want nothing", who, frames)
	}
}

func TestRoomBroadcastReachesEveryNodeOnce(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	nodes := []*node{c.node("n1"), c.node("n2"), c.node("n3")}
	var members []*client
	for _, n := range nodes {
		for range 2 {
			cl := n.connect()
			n.join(cl, "r")
			members = append(members, cl)
		}
	}
	outsider := nodes[2].connect()
	c.waitSubscribers("r", 3)

	for i, n := range nodes {
		n.emit(n.srv.Of("/").To("r"), "m", i)
	}
	// Fence every node in turn: each fence proves that node's broadcast arrived.
	all := append(members, outsider)
	received := make([][]string, len(all))
	for _, n := range nodes {
		for j, frames := range fence(n, all...) {
			received[j] = append(received[j], frames...)
		}
	}
	for j, frames := range received[:len(members)] {
		if m := count(frames); len(frames) != 3 || m[`42["m",0]`] != 1 || m[`42["m",1]`] != 1 || m[`42["m",2]`] != 1 {
			t.Errorf("member %d received %q, want m 0, 1, 2 once each", j, frames)
		}
	}
	expectNone(t, "outsider", received[len(members)])
}

func TestExceptAcrossNodes(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1, n2 := c.node("n1"), c.node("n2")
	sender, local := n1.connect(), n1.connect()
	excluded, remote := n2.connect(), n2.connect()
	for _, p := range []struct {
		n  *node
		cl *client
	}{{n1, sender}, {n1, local}, {n2, excluded}, {n2, remote}} {
		p.n.join(p.cl, "r")
	}
	n2.join(excluded, "muted")
	c.waitSubscribers("r", 2)

	// Socket.Broadcast excludes the sender by id; Except excludes by room, here a
	// remote socket's own id and a room only on the remote node.
	n1.emit(n1.socket(sender).Broadcast().To("r").Except(socketio.Room(excluded.sid)), "a", 1)
	n1.emit(n1.srv.Of("/").To("r").Except("muted"), "b", 2)
	got := fence(n1, sender, local, excluded, remote)
	if want := []string{`42["b",2]`}; fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Errorf("sender received %q, want %q", got[0], want)
	}
	if want := []string{`42["a",1]`, `42["b",2]`}; fmt.Sprint(got[1]) != fmt.Sprint(want) || fmt.Sprint(got[3]) != fmt.Sprint(want) {
		t.Errorf("local received %q, remote %q, want %q", got[1], got[3], want)
	}
	expectNone(t, "excluded", got[2])
}

func TestMultiRoomBroadcastOncePerSocket(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1, n2, n3 := c.node("n1"), c.node("n2"), c.node("n3")
	both, onlyR2, onlyR1 := n2.connect(), n2.connect(), n3.connect()
	n2.join(both, "r1", "r2")
	n2.join(onlyR2, "r2")
	n3.join(onlyR1, "r1")
	c.waitSubscribers("r1", 2)
	c.waitSubscribers("r2", 1)

	n1.emit(n1.srv.Of("/").To("r1", "r2"), "m", 1)
	n1.emit(n1.srv.Of("/").To("r2", "r1"), "m", 2)
	got := fence(n1, both, onlyR2, onlyR1)
	for i, who := range []string{"both", "only r2", "only r1"} {
		if want := []string{`42["m",1]`, `42["m",2]`}; fmt.Sprint(got[i]) != fmt.Sprint(want) {
			t.Errorf("%s received %q, want %q", who, got[i], want)
		}
	}
	waitFor(t, "n2 to count its deliveries", func() bool { return n2.adapter.Stats().Delivered >= 3*2 })
	if s := n2.adapter.Stats(); s.Delivered != 3*2 {
		t.Errorf("n2 delivered %d, want 6 (three broadcasts to two sockets each)", s.Delivered)
	}
}

func TestNodeReceivesOnlyRoomsItServes(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1, n2, n3 := c.node("n1"), c.node("n2"), c.node("n3")
	a, b, idle := n1.connect(), n2.connect(), n3.connect()
	n1.join(a, "r")
	n2.join(b, "r")
	n3.join(idle, "elsewhere")
	c.waitSubscribers("r", 2)

	for i := range 5 {
		n1.emit(n1.srv.Of("/").To("r"), "m", i)
	}
	fence(n1, a, b, idle)
	waitFor(t, "n2 to count its deliveries", func() bool { return n2.adapter.Stats().Delivered >= 6 })
	if s := n3.adapter.Stats(); s.Received != 1 || s.Invalid != 0 {
		t.Errorf("n3 stats %+v, want only the fence received", s)
	}
	if s := n2.adapter.Stats(); s.Received != 6 || s.Delivered != 6 {
		t.Errorf("n2 stats %+v, want 6 received and delivered", s)
	}
	// The publisher counts after Redis answered, which may be after delivery.
	waitFor(t, "n1 to count its publishes", func() bool { return n1.adapter.Stats().Published == 6 })
	if s := n1.adapter.Stats(); s.Published != 6 || s.PublishErrors != 0 || s.Received != 0 {
		t.Errorf("n1 stats %+v, want 6 published, none received", s)
	}
}

func TestUnsubscribeAfterLastLocalSocketLeaves(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1 := c.node("n1")
	a, b := n1.connect(), n1.connect()
	n1.join(a, "r", "s")
	n1.join(b, "r")
	c.waitSubscribers("r", 1)
	c.waitSubscribers("s", 1)

	n1.socket(a).Leave("r")
	n1.socket(a).Leave("r") // a second leave must not count twice
	if c.numSub("r") != 1 {
		t.Fatal("unsubscribed while a local socket is still in the room")
	}
	n1.socket(b).Leave("r")
	c.waitSubscribers("r", 0)

	a.close() // DelAll on disconnect releases the rest
	c.waitSubscribers("s", 0)
	if err := n1.adapter.Ready(context.Background()); err != nil {
		t.Errorf("ready after the last room left: %v", err)
	}
}

func TestSocketIDRooms(t *testing.T) {
	c := newCluster(t, testRedisURL(t))
	n1, n2 := c.node("n1"), c.node("n2")
	a, b := n1.connect(), n2.connect()
	n2.join(b, "r")
	c.waitSubscribers("r", 1)

	// A remote socket's id room is not subscribed, so it must not hide the copy of a
	// room the socket is in.
	n1.emit(n1.srv.Of("/").To(socketio.Room(b.sid), "r"), "m", 1)
	// A broadcast to local socket ids only stays on the node.
	n1.emit(n1.srv.Of("/").To(socketio.Room(a.sid)), "m", 2)
	got := fence(n1, a, b)
	if fmt.Sprint(got[0]) != fmt.Sprint([]string{`42["m",2]`}) || fmt.Sprint(got[1]) != fmt.Sprint([]string{`42["m",1]`}) {
		t.Errorf("received %q and %q, want m 2 and m 1", got[0], got[1])
	}
	waitFor(t, "n1 to count its publishes", func() bool { return n1.adapter.Stats().Published >= 2 })
	if s := n1.adapter.Stats(); s.Published != 2 {
		t.Errorf("published %d, want 2 (m 1 and the fence; m 2 stays local)", s.Published)
	}
}
