package socketio

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// socketOf connects a session to nsp and returns the server-side socket.
func socketOf(t *testing.T, srv *Server, id, nsp string) (*fakeConn, *Socket) {
	t.Helper()
	f, sid := connect(t, srv, id, nsp)
	s, ok := srv.Of(nsp).Socket(sid)
	if !ok {
		t.Fatalf("socket %s not found", sid)
	}
	return f, s
}

type ackResult struct {
	args []json.RawMessage
	err  error
}

func TestEmitWithAckAnswered(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/chat")
	f, s := socketOf(t, srv, "e1", "/chat")
	got := make(chan ackResult, 2)
	cb := func(args []json.RawMessage, err error) { got <- ackResult{args, err} }
	if err := s.EmitWithAck("q", []any{"a"}, time.Minute, cb); err != nil {
		t.Fatal(err)
	}
	if err := s.EmitWithAck("q", nil, 0, cb); err != nil {
		t.Fatal(err)
	}
	f.expect(t, `2/chat,0["q","a"]`, `2/chat,1["q"]`)
	f.text(`3/chat,1["second"]`)
	f.text(`3/chat,0["first",{"n":1}]`)
	f.text(`3/chat,0["again"]`) // answered already: ignored
	f.text(`3/chat,99[]`)       // unknown id: ignored
	r1, r0 := <-got, <-got
	if r1.err != nil || string(r1.args[0]) != `"second"` || r0.err != nil || string(r0.args[1]) != `{"n":1}` {
		t.Fatalf("results %+v %+v", r1, r0)
	}
	if f.isClosed() {
		t.Fatal("unknown ack id closed the session")
	}
}

func TestEmitWithAckTimeout(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/")
	f, s := socketOf(t, srv, "e1", "/")
	got := make(chan ackResult, 1)
	if err := s.EmitWithAck("q", nil, 20*time.Millisecond, func(args []json.RawMessage, err error) {
		got <- ackResult{args, err}
	}); err != nil {
		t.Fatal(err)
	}
	if r := <-got; !errors.Is(r.err, ErrAckTimeout) {
		t.Fatalf("got %+v", r)
	}
	f.text(`30["late"]`) // ignored
	select {
	case r := <-got:
		t.Fatalf("callback called twice: %+v", r)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestEmitWithAckDisconnected(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/")
	f, s := socketOf(t, srv, "e1", "/")
	got := make(chan ackResult, 2)
	cb := func(args []json.RawMessage, err error) { got <- ackResult{args, err} }
	if err := s.EmitWithAck("q", nil, time.Minute, cb); err != nil {
		t.Fatal(err)
	}
	if err := s.EmitWithAck("q", nil, 0, cb); err != nil {
		t.Fatal(err)
	}
	f.closeWith(engineio.CloseReasonTransportClose)
	for range 2 {
		if r := <-got; !errors.Is(r.err, ErrDisconnected) {
			t.Fatalf("got %+v", r)
		}
	}
	if err := s.EmitWithAck("q", nil, 0, cb); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("EmitWithAck after disconnect: %v", err)
	}
	if err := s.Emit("x"); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Emit after disconnect: %v", err)
	}
}

func TestEmitWithAckSendFailure(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/")
	f, s := socketOf(t, srv, "e1", "/")
	f.mu.Lock()
	f.failSends = true
	f.mu.Unlock()
	called := false
	err := s.EmitWithAck("q", nil, 0, func([]json.RawMessage, error) { called = true })
	if err == nil || called {
		t.Fatalf("err %v called %v", err, called)
	}
	s.Disconnect(true)
	if called {
		t.Fatal("callback of a failed emit called on disconnect")
	}
}

func TestCloseReasonsMapped(t *testing.T) {
	tests := []struct {
		engine engineio.CloseReason
		want   DisconnectReason
	}{
		{engineio.CloseReasonTransportClose, ReasonTransportClose},
		{engineio.CloseReasonTransportError, ReasonTransportError},
		{engineio.CloseReasonPingTimeout, ReasonPingTimeout},
		{engineio.CloseReasonParseError, ReasonParseError},
		{engineio.CloseReasonForced, ReasonForcedClose},
		{engineio.CloseReasonSlowConsumer, ReasonSlowConsumer},
		{engineio.CloseReasonServerShutdown, ReasonServerShuttingDown},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			srv := testServer(t, Config{})
			got := map[string]DisconnectReason{}
			for _, n := range []string{"/", "/b"} {
				srv.Of(n).OnDisconnect(func(s *Socket, r DisconnectReason) {
					if !s.InRoom("r") {
						t.Error("socket left its rooms before OnDisconnect")
					}
					got[s.Namespace().Name()] = r
				})
				srv.Of(n).OnConnect(func(s *Socket) { s.Join("r") })
			}
			f := dial(srv, "e1")
			join(t, f, "/")
			join(t, f, "/b")
			f.closeWith(tt.engine)
			if got["/"] != tt.want || got["/b"] != tt.want {
				t.Fatalf("got %v", got)
			}
			if srv.ConnectionCount() != 0 || srv.Of("/").SocketCount() != 0 {
				t.Fatal("closed session still counted")
			}
		})
	}
}

func TestReasonStrings(t *testing.T) {
	want := map[DisconnectReason]string{
		ReasonServerNamespaceDisconnect: "server namespace disconnect",
		ReasonClientNamespaceDisconnect: "client namespace disconnect",
		ReasonTransportClose:            "transport close",
		ReasonTransportError:            "transport error",
		ReasonPingTimeout:               "ping timeout",
		ReasonParseError:                "parse error",
		ReasonForcedClose:               "forced close",
		ReasonServerShuttingDown:        "server shutting down",
		ReasonSlowConsumer:              "slow consumer",
		0:                               "unknown",
		99:                              "unknown",
	}
	for r, s := range want {
		if r.String() != s {
			t.Errorf("%d: %q, want %q", int(r), r.String(), s)
		}
	}
}

func TestServerDisconnect(t *testing.T) {
	srv := testServer(t, Config{})
	var reasons []DisconnectReason
	for _, n := range []string{"/", "/chat"} {
		srv.Of(n).OnDisconnect(func(_ *Socket, r DisconnectReason) { reasons = append(reasons, r) })
	}
	f := dial(srv, "e1")
	join(t, f, "/")
	chatID := join(t, f, "/chat")
	s, _ := srv.Of("/chat").Socket(chatID)
	s.Disconnect(false)
	s.Disconnect(false) // once only
	f.expect(t, `1/chat,`)
	f.expectNothing(t)
	if s.Connected() || f.isClosed() || len(reasons) != 1 || reasons[0] != ReasonServerNamespaceDisconnect {
		t.Fatalf("connected %v closed %v reasons %v", s.Connected(), f.isClosed(), reasons)
	}
	chatID = join(t, f, "/chat")
	s, _ = srv.Of("/chat").Socket(chatID)
	s.Disconnect(true)
	got := f.take()
	if len(got) != 2 {
		t.Fatalf("sent %s", describe(got...))
	}
	if !f.isClosed() || len(reasons) != 3 || reasons[1] != ReasonServerNamespaceDisconnect || reasons[2] != ReasonServerNamespaceDisconnect {
		t.Fatalf("closed %v reasons %v", f.isClosed(), reasons)
	}
}

func TestShutdown(t *testing.T) {
	srv := testServer(t, Config{})
	var reasons []DisconnectReason
	srv.Of("/").OnDisconnect(func(_ *Socket, r DisconnectReason) { reasons = append(reasons, r) })
	a, _ := connect(t, srv, "a", "/")
	b, _ := connect(t, srv, "b", "/")
	idle := dial(srv, "idle")
	if srv.ConnectionCount() != 3 {
		t.Fatalf("count %d", srv.ConnectionCount())
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !a.isClosed() || !b.isClosed() || !idle.isClosed() || srv.ConnectionCount() != 0 {
		t.Fatal("sessions left open")
	}
	if len(reasons) != 2 || reasons[0] != ReasonServerShuttingDown || reasons[1] != ReasonServerShuttingDown {
		t.Fatalf("reasons %v", reasons)
	}
	late := dial(srv, "late")
	if !late.isClosed() {
		t.Fatal("session accepted after Shutdown")
	}
}

func TestValueAndHandshake(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/")
	f, s := socketOf(t, srv, "e1", "/")
	if s.Handshake() != f.hs || s.Value() != nil {
		t.Fatal("handshake or value")
	}
	s.SetValue(42)
	if s.Value() != 42 {
		t.Fatal("value not kept")
	}
}

func TestStats(t *testing.T) {
	srv := conformanceServer(t, Config{})
	srv.Of("/b")
	f, _ := connect(t, srv, "e1", "/")
	g, _ := connect(t, srv, "e2", "/")
	f.text(`2["message","x"]`)
	f.expect(t, `2["message-back","x"]`)
	if err := srv.Of("/").Emit("all"); err != nil {
		t.Fatal(err)
	}
	g.closeWith(engineio.CloseReasonTransportClose)
	st := srv.Stats()
	if st.Connections != 1 || len(st.Namespaces) != 2 || st.Namespaces[0].Name != "/" || st.Namespaces[1].Name != "/b" {
		t.Fatalf("stats %+v", st)
	}
	root := st.Namespaces[0]
	want := NamespaceStats{Name: "/", Sockets: 1, Connects: 2, Disconnects: 1, EventsIn: 1, EventsOut: 3, Broadcasts: 1}
	if root != want {
		t.Fatalf("root %+v, want %+v", root, want)
	}
}

// TestJoinRacingDisconnect checks that a Join concurrent with leaving never leaves the
// departed socket registered with the adapter.
func TestJoinRacingDisconnect(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/")
	for i := range 50 {
		f, s := socketOf(t, srv, "e"+itoa(i), "/")
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 20 {
				s.Join("r")
			}
		}()
		f.closeWith(engineio.CloseReasonTransportClose)
		<-done
		if got := srv.adapter.Sockets("/", nil); len(got) != 0 {
			t.Fatalf("iteration %d: %d sockets still registered", i, len(got))
		}
	}
}
