package socketio

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConnectMainNamespace(t *testing.T) {
	srv := testServer(t, Config{})
	var got *Socket
	srv.Of("/").OnConnect(func(s *Socket) {
		got = s
		if err := s.EmitPayload("auth", Payload{Args: []json.RawMessage{authOrEmpty(s)}}); err != nil {
			t.Error(err)
		}
	})
	f := dial(srv, "e1")
	f.text(`0`)
	reply := f.next(t)
	var sid map[string]string
	if err := json.Unmarshal(reply.Data[1:], &sid); err != nil || len(sid) != 1 || sid["sid"] == "" || reply.Data[0] != '0' {
		t.Fatalf("connect reply %s", reply.Data)
	}
	f.expect(t, `2["auth",{}]`)
	if got == nil || got.ID() != sid["sid"] || !got.Connected() || got.Auth() != nil || got.Recovered() {
		t.Fatalf("socket %+v", got)
	}
	if got.ID() == f.ID() {
		t.Fatal("socket id reuses the engine.io session id")
	}
	if s, ok := srv.Of("/").Socket(got.ID()); !ok || s != got || srv.Of("/").SocketCount() != 1 {
		t.Fatal("namespace does not know the socket")
	}
}

func authOrEmpty(s *Socket) json.RawMessage {
	if s.Auth() == nil {
		return json.RawMessage(`{}`)
	}
	return s.Auth()
}

func TestConnectCustomNamespaceWithAuth(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/custom").OnConnect(func(s *Socket) {
		_ = s.EmitPayload("auth", Payload{Args: []json.RawMessage{authOrEmpty(s)}})
	})
	for _, in := range []string{`0/custom,{"token":"abc"}`, `0/custom`, `0/custom,`} {
		f := dial(srv, "e-"+in)
		f.text(in)
		reply := string(f.next(t).Data)
		if !strings.HasPrefix(reply, `0/custom,{"sid":"`) {
			t.Fatalf("%s: reply %s", in, reply)
		}
		want := `2/custom,["auth",{}]`
		if strings.Contains(in, "token") {
			want = `2/custom,["auth",{"token":"abc"}]`
		}
		f.expect(t, want)
	}
}

func TestNamespaceNotImplicit(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/custom")
	f := dial(srv, "e1")
	f.text(`0`)
	f.expect(t, `4{"message":"Invalid namespace"}`)
	f.text(`0/random`)
	f.expect(t, `4/random,{"message":"Invalid namespace"}`)
	if f.isClosed() {
		t.Fatal("refused connect closed the session")
	}
	join(t, f, "/custom")
}

func TestOfNormalizesName(t *testing.T) {
	srv := testServer(t, Config{})
	if srv.Of("chat") != srv.Of("/chat") || srv.Of("/chat").Name() != "/chat" {
		t.Fatal("Of does not normalize")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Of accepted a comma")
		}
	}()
	srv.Of("/a,b")
}

func TestMiddlewareOrderAndRefusal(t *testing.T) {
	srv := testServer(t, Config{})
	ns := srv.Of("/")
	var order []string
	ns.Use(func(s *Socket) error {
		order = append(order, "first")
		s.SetValue("user-1")
		return nil
	})
	ns.Use(func(s *Socket) error {
		order = append(order, "second:"+s.Value().(string))
		switch s.Handshake().Query.Get("mode") {
		case "data":
			return &ConnectError{Message: "unauthorized", Data: map[string]string{"code": "bad_token"}}
		case "plain":
			return errors.New("plain refusal")
		case "nodata":
			return &ConnectError{Message: "nope"}
		case "panic":
			panic("boom")
		}
		return nil
	})
	var connected []string
	ns.OnConnect(func(s *Socket) { connected = append(connected, s.Value().(string)) })

	tests := []struct{ mode, want string }{
		{"data", `4{"message":"unauthorized","data":{"code":"bad_token"}}`},
		{"plain", `4{"message":"plain refusal"}`},
		{"nodata", `4{"message":"nope"}`},
		{"panic", `4{"message":"internal server error"}`},
	}
	for _, tt := range tests {
		f := newFakeConnWithQuery(srv, tt.mode)
		f.text(`0`)
		f.expect(t, tt.want)
		if f.isClosed() {
			t.Fatalf("%s: refusal closed the session", tt.mode)
		}
	}
	if ns.SocketCount() != 0 || len(connected) != 0 {
		t.Fatal("refused sockets were connected")
	}
	f := newFakeConnWithQuery(srv, "")
	join(t, f, "/")
	if len(connected) != 1 || connected[0] != "user-1" {
		t.Fatalf("connected %v", connected)
	}
	if order[0] != "first" || order[1] != "second:user-1" {
		t.Fatalf("order %v", order)
	}
}

func newFakeConnWithQuery(srv *Server, mode string) *fakeConn {
	f := dial(srv, "q-"+mode)
	f.hs.Query = map[string][]string{"mode": {mode}}
	return f
}

func TestConnectTimeout(t *testing.T) {
	srv := testServer(t, Config{ConnectTimeout: 30 * time.Millisecond})
	srv.Of("/")
	idle := dial(srv, "idle")
	active, _ := connect(t, srv, "active", "/")
	idle.waitClosed(t)
	time.Sleep(60 * time.Millisecond)
	if active.isClosed() {
		t.Fatal("connected session closed by the connect timeout")
	}
}

func TestConnectTwiceClosesSession(t *testing.T) {
	srv := testServer(t, Config{})
	srv.Of("/")
	f, _ := connect(t, srv, "e1", "/")
	f.text(`0`)
	f.waitClosed(t)
}

func TestSeveralNamespacesOneSession(t *testing.T) {
	srv := testServer(t, Config{})
	var mu sync.Mutex
	reasons := map[string]DisconnectReason{}
	for _, name := range []string{"/", "/a"} {
		ns := srv.Of(name)
		ns.OnDisconnect(func(s *Socket, r DisconnectReason) {
			mu.Lock()
			reasons[s.Namespace().Name()] = r
			mu.Unlock()
		})
		ns.On("message", func(s *Socket, e *Event) {
			_ = s.EmitPayload("message-back", e.Payload)
		})
	}
	f := dial(srv, "e1")
	rootID := join(t, f, "/")
	aID := join(t, f, "/a")
	if rootID == aID {
		t.Fatal("two namespaces share a socket id")
	}
	f.text(`1/a`)
	if reasons["/a"] != ReasonClientNamespaceDisconnect || srv.Of("/a").SocketCount() != 0 {
		t.Fatalf("reasons %v", reasons)
	}
	f.text(`2["message","message to main namespace"]`)
	f.expect(t, `2["message-back","message to main namespace"]`)
	f.text(`2/a,["message","x"]`) // not connected to /a any more
	f.waitClosed(t)
	if reasons["/"] != ReasonParseError {
		t.Fatalf("root reason %v", reasons["/"])
	}
}
