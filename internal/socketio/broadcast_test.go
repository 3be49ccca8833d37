package socketio

import (
	"slices"
	"testing"
)

// roomFixture connects four sockets to /r:
//
//	a: red          b: red, blue      c: blue       d: (none)
type roomFixture struct {
	srv        *Server
	ns         *Namespace
	a, b, c, d *Socket
	fa, fb     *fakeConn
	fc, fd     *fakeConn
}

func newRoomFixture(t *testing.T) *roomFixture {
	srv := testServer(t, Config{})
	x := &roomFixture{srv: srv, ns: srv.Of("/r")}
	x.fa, x.a = socketOf(t, srv, "a", "/r")
	x.fb, x.b = socketOf(t, srv, "b", "/r")
	x.fc, x.c = socketOf(t, srv, "c", "/r")
	x.fd, x.d = socketOf(t, srv, "d", "/r")
	x.a.Join("red")
	x.b.Join("red", "blue", "red")
	x.c.Join("blue")
	return x
}

// receivers returns which of a..d got exactly one copy of the last broadcast.
func (x *roomFixture) receivers(t *testing.T) string {
	t.Helper()
	got := ""
	for i, f := range []*fakeConn{x.fa, x.fb, x.fc, x.fd} {
		switch msgs := f.take(); len(msgs) {
		case 0:
		case 1:
			got += string(rune('a' + i))
		default:
			t.Fatalf("%s got %d copies: %s", f.id, len(msgs), describe(msgs...))
		}
	}
	return got
}

func TestBroadcastSelection(t *testing.T) {
	x := newRoomFixture(t)
	tests := []struct {
		name string
		op   BroadcastOperator
		want string
	}{
		{"namespace", x.ns.To(), "abcd"},
		{"one room", x.ns.To("red"), "ab"},
		{"two rooms once each", x.ns.To("red", "blue"), "abc"},
		{"chained to", x.ns.To("blue").To("red"), "abc"},
		{"except", x.ns.Except("red"), "cd"},
		{"to except", x.ns.To("blue").Except("red"), "c"},
		{"socket id room", x.ns.To(Room(x.d.ID())), "d"},
		{"except socket id room", x.ns.To("red").Except(Room(x.a.ID())), "b"},
		{"socket to", x.b.To("red", "blue"), "ac"},
		{"socket broadcast", x.b.Broadcast(), "acd"},
		{"socket broadcast except", x.b.Broadcast().Except("blue"), "ad"},
		{"unknown room", x.ns.To("green"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op.Emit("ev", 1); err != nil {
				t.Fatal(err)
			}
			if got := x.receivers(t); got != tt.want {
				t.Fatalf("receivers %q, want %q", got, tt.want)
			}
		})
	}
	if err := x.ns.Emit("all"); err != nil || x.receivers(t) != "abcd" {
		t.Fatal("Namespace.Emit")
	}
}

func TestBroadcastOperatorIsAValue(t *testing.T) {
	x := newRoomFixture(t)
	base := x.ns.To("red")
	_ = base.To("blue")
	_ = base.Except("red")
	if err := base.Emit("ev"); err != nil {
		t.Fatal(err)
	}
	if got := x.receivers(t); got != "ab" {
		t.Fatalf("derived operators changed the base: %q", got)
	}
}

func TestRoomsMembership(t *testing.T) {
	x := newRoomFixture(t)
	rooms := x.b.Rooms()
	slices.Sort(rooms)
	if !slices.Equal(rooms, []Room{"blue", "red"}) {
		t.Fatalf("rooms %v", rooms)
	}
	if !x.b.InRoom(Room(x.b.ID())) || x.b.InRoom(Room(x.a.ID())) || !x.b.InRoom("red") || x.d.InRoom("red") {
		t.Fatal("InRoom")
	}
	x.b.Leave("red", "nope")
	if x.b.InRoom("red") || !slices.Equal(x.b.Rooms(), []Room{"blue"}) {
		t.Fatalf("after Leave %v", x.b.Rooms())
	}
	ids := func(ss []*Socket) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = s.ID()
		}
		slices.Sort(out)
		return out
	}
	want := []string{x.b.ID(), x.c.ID()}
	slices.Sort(want)
	if got := ids(x.srv.adapter.Sockets("/r", []Room{"blue"})); !slices.Equal(got, want) {
		t.Fatalf("Sockets(blue) %v", got)
	}
	if got := x.srv.adapter.Sockets("/r", nil); len(got) != 4 {
		t.Fatalf("Sockets() %d", len(got))
	}
	x.c.Disconnect(false)
	x.c.Join("red") // ignored once disconnected
	if x.c.InRoom("blue") || x.c.InRoom("red") || len(x.srv.adapter.Sockets("/r", []Room{"blue"})) != 1 {
		t.Fatal("disconnected socket still in rooms")
	}
}

// TestBroadcastEncodedOnce checks that every receiver is handed the very same bytes.
func TestBroadcastEncodedOnce(t *testing.T) {
	x := newRoomFixture(t)
	if err := x.ns.To("red").Emit("ev", "text", []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	ma, mb := x.fa.take(), x.fb.take()
	if len(ma) != 2 || len(mb) != 2 {
		t.Fatalf("a %s b %s", describe(ma...), describe(mb...))
	}
	for i := range ma {
		if &ma[i].Data[0] != &mb[i].Data[0] {
			t.Fatalf("message %d was encoded per receiver", i)
		}
	}
	if string(ma[0].Data) != `51-/r,["ev","text",{"_placeholder":true,"num":0}]` {
		t.Fatalf("packet %s", ma[0].Data)
	}
}

func TestBroadcastSkipsFailingReceiver(t *testing.T) {
	x := newRoomFixture(t)
	x.fa.mu.Lock()
	x.fa.failSends = true
	x.fa.mu.Unlock()
	if err := x.ns.To("red").Emit("ev"); err != nil {
		t.Fatal(err)
	}
	if got := x.receivers(t); got != "b" {
		t.Fatalf("receivers %q", got)
	}
	if st := x.ns.statsSnapshot(); st.SendErrors != 1 {
		t.Fatalf("send errors %d", st.SendErrors)
	}
}
