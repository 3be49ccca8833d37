package socketio

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// connectReply sends CONNECT with auth and decodes the reply's sid and pid.
func connectReply(t *testing.T, f *fakeConn, auth string) (sid, pid string) {
	t.Helper()
	f.text("0" + auth)
	m := f.next(t)
	var r map[string]string
	if m.Data[0] != '0' || json.Unmarshal(m.Data[1:], &r) != nil {
		t.Fatalf("connect reply %s", m.Data)
	}
	return r["sid"], r["pid"]
}

func recoveryServer(t *testing.T, rec Recovery) (*Server, *int) {
	srv := testServer(t, Config{Recovery: &rec})
	ns := srv.Of("/")
	runs := new(int)
	ns.Use(func(s *Socket) error {
		*runs++
		if s.Value() == nil {
			s.SetValue("fresh")
		}
		return nil
	})
	ns.OnConnect(func(s *Socket) {
		if !s.Recovered() {
			s.Join("red")
		}
	})
	return srv, runs
}

func TestRecoveryRestoresAndReplays(t *testing.T) {
	srv, runs := recoveryServer(t, Recovery{MaxDisconnection: time.Minute})
	ns := srv.Of("/")
	f := dial(srv, "e1")
	sid, pid := connectReply(t, f, "")
	if sid == "" || pid == "" || sid == pid {
		t.Fatalf("sid %q pid %q", sid, pid)
	}
	s, _ := ns.Socket(sid)
	s.SetValue("state")
	other, _ := socketOf(t, srv, "other", "/")

	if err := ns.Emit("ev", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Emit("direct"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, `2["ev",1,"1"]`, `2["direct","2"]`)
	other.take()

	f.closeWith(engineio.CloseReasonTransportClose)
	mustEmit(t, ns.To("red").Emit("m1"))                // 3: missed
	mustEmit(t, ns.To("blue").Emit("m2"))               // 4: not for it
	mustEmit(t, ns.Emit("m3"))                          // 5: missed
	mustEmit(t, ns.Except("red").Emit("m4"))            // 6: excluded
	mustEmit(t, ns.To(Room(sid)).Emit("m5"))            // 7: missed (own room)
	mustEmit(t, ns.Except(Room(sid)).Emit("m6"))        // 8: excluded
	mustEmit(t, ns.To("red").Except("blue").Emit("m7")) // 9: missed

	g := dial(srv, "e2")
	sid2, pid2 := connectReply(t, g, `{"pid":"`+pid+`","offset":"2","token":"x"}`)
	if sid2 != sid || pid2 != pid {
		t.Fatalf("restored sid %q pid %q, want %q %q", sid2, pid2, sid, pid)
	}
	g.expect(t, `2["m1","3"]`, `2["m3","5"]`, `2["m5","7"]`, `2["m7","9"]`)
	g.expectNothing(t)
	s2, _ := ns.Socket(sid)
	if !s2.Recovered() || s2.Value() != "state" || !s2.InRoom("red") || *runs != 3 {
		t.Fatalf("recovered %v value %v red %v middleware runs %d", s2.Recovered(), s2.Value(), s2.InRoom("red"), *runs)
	}
	if string(s2.Auth()) != `{"pid":"`+pid+`","offset":"2","token":"x"}` {
		t.Fatalf("auth %s", s2.Auth())
	}

	// The session was taken: a second attempt gets a fresh socket.
	h := dial(srv, "e3")
	if sid3, _ := connectReply(t, h, `{"pid":"`+pid+`","offset":"2"}`); sid3 == sid {
		t.Fatal("session restored twice")
	}
}

func mustEmit(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecoverySkipMiddlewares(t *testing.T) {
	srv, runs := recoveryServer(t, Recovery{SkipMiddlewares: true})
	f := dial(srv, "e1")
	_, pid := connectReply(t, f, "")
	mustEmit(t, srv.Of("/").Emit("ev"))
	f.expect(t, `2["ev","1"]`)
	f.closeWith(engineio.CloseReasonPingTimeout)
	g := dial(srv, "e2")
	connectReply(t, g, `{"pid":"`+pid+`","offset":"1"}`)
	if *runs != 1 {
		t.Fatalf("middleware ran %d times", *runs)
	}
}

func TestRecoveryRefused(t *testing.T) {
	tests := []struct {
		name  string
		leave func(f *fakeConn, s *Socket)
		auth  func(pid string) string
		wait  time.Duration
	}{
		{"client namespace disconnect", func(f *fakeConn, _ *Socket) { f.text(`1`) },
			func(pid string) string { return `{"pid":"` + pid + `","offset":"1"}` }, 0},
		{"server namespace disconnect", func(_ *fakeConn, s *Socket) { s.Disconnect(false) },
			func(pid string) string { return `{"pid":"` + pid + `","offset":"1"}` }, 0},
		{"parse error", func(f *fakeConn, _ *Socket) { f.text(`9`) },
			func(pid string) string { return `{"pid":"` + pid + `","offset":"1"}` }, 0},
		{"no offset", func(f *fakeConn, _ *Socket) { f.closeWith(engineio.CloseReasonTransportClose) },
			func(pid string) string { return `{"pid":"` + pid + `"}` }, 0},
		{"unknown offset", func(f *fakeConn, _ *Socket) { f.closeWith(engineio.CloseReasonTransportClose) },
			func(pid string) string { return `{"pid":"` + pid + `","offset":"zz"}` }, 0},
		{"offset not a string", func(f *fakeConn, _ *Socket) { f.closeWith(engineio.CloseReasonTransportClose) },
			func(pid string) string { return `{"pid":"` + pid + `","offset":1}` }, 0},
		{"wrong pid", func(f *fakeConn, _ *Socket) { f.closeWith(engineio.CloseReasonTransportClose) },
			func(string) string { return `{"pid":"nope","offset":"1"}` }, 0},
		{"expired", func(f *fakeConn, _ *Socket) { f.closeWith(engineio.CloseReasonTransportClose) },
			func(pid string) string { return `{"pid":"` + pid + `","offset":"1"}` }, 60 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := recoveryServer(t, Recovery{MaxDisconnection: 40 * time.Millisecond})
			f := dial(srv, "e1")
			sid, pid := connectReply(t, f, "")
			mustEmit(t, srv.Of("/").Emit("ev"))
			s, _ := srv.Of("/").Socket(sid)
			tt.leave(f, s)
			time.Sleep(tt.wait)
			g := dial(srv, "e2")
			sid2, pid2 := connectReply(t, g, tt.auth(pid))
			if sid2 == sid || pid2 == pid || pid2 == "" {
				t.Fatalf("restored: sid %q pid %q", sid2, pid2)
			}
			s2, _ := srv.Of("/").Socket(sid2)
			if s2.Recovered() || s2.Value() != "fresh" {
				t.Fatalf("recovered %v value %v", s2.Recovered(), s2.Value())
			}
		})
	}
}

func TestRecoveryAckEmitsCarryNoOffset(t *testing.T) {
	srv, _ := recoveryServer(t, Recovery{})
	f, s := socketOf(t, srv, "e1", "/")
	if err := s.EmitWithAck("q", []any{"a"}, 0, func([]json.RawMessage, error) {}); err != nil {
		t.Fatal(err)
	}
	f.expect(t, `20["q","a"]`)
}

func TestSessionLogPrunesOldPackets(t *testing.T) {
	l := newSessionLog(30 * time.Millisecond)
	for range 3 {
		l.append(l.reserve(), nil, BroadcastOptions{})
	}
	time.Sleep(40 * time.Millisecond)
	l.append(l.reserve(), nil, BroadcastOptions{})
	l.mu.Lock()
	n := len(l.packets)
	l.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d packets kept", n)
	}
	l.persist(&persistedSession{sid: "s", pid: "p"})
	if _, _, ok := l.take("p", formatOffset(1)); ok {
		t.Fatal("restored from a pruned offset")
	}
	if s, seq, ok := l.take("p", formatOffset(4)); !ok || s.sid != "s" || seq != 4 {
		t.Fatal("restore from the kept offset failed")
	}
}

func TestSessionLogOutOfOrderAppend(t *testing.T) {
	l := newSessionLog(time.Minute)
	a, b, c := l.reserve(), l.reserve(), l.reserve()
	l.append(b, nil, BroadcastOptions{})
	l.append(c, nil, BroadcastOptions{})
	l.append(a, nil, BroadcastOptions{})
	var got []string
	for _, p := range l.packets {
		got = append(got, formatOffset(p.seq))
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Fatalf("order %v", got)
	}
}

// fakeStore is a RecoveryStore that records what the server hands it.
type fakeStore struct {
	mu       sync.Mutex
	n        int
	appended []string
	persist  []RecoverySession
	restored [][2]string
	session  *RecoverySession
	missed   [][]engineio.Message
}

func (f *fakeStore) Log(nsp string) RecoveryLog {
	if nsp != "/" {
		panic("namespace " + nsp)
	}
	return f
}

func (f *fakeStore) Reserve() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return "node." + strconv.Itoa(f.n)
}

func (f *fakeStore) Append(offset string, msgs []engineio.Message, _ BroadcastOptions) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.HasSuffix(string(msgs[0].Data), `"`+offset+`"]`) {
		panic("appended " + string(msgs[0].Data) + " under " + offset)
	}
	f.appended = append(f.appended, offset)
}

func (f *fakeStore) Persist(s *RecoverySession) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.persist = append(f.persist, *s)
}

func (f *fakeStore) Restore(pid, offset string) (*RecoverySession, [][]engineio.Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restored = append(f.restored, [2]string{pid, offset})
	return f.session, f.missed, f.session != nil
}

func TestRecoveryUsesPluggedStore(t *testing.T) {
	store := &fakeStore{}
	srv, _ := recoveryServer(t, Recovery{Store: store})
	ns := srv.Of("/")
	f := dial(srv, "e1")
	sid, pid := connectReply(t, f, "")
	mustEmit(t, ns.Emit("ev", 1))
	s, _ := ns.Socket(sid)
	mustEmit(t, s.Emit("direct"))
	f.expect(t, `2["ev",1,"node.1"]`, `2["direct","node.2"]`)
	f.closeWith(engineio.CloseReasonTransportClose)

	// Another server's session, as a shared store would return it.
	store.mu.Lock()
	if len(store.persist) != 1 || store.persist[0].SID != sid || store.persist[0].PID != pid ||
		!slices.Equal(store.persist[0].Rooms, []Room{"red"}) || store.persist[0].Value != "fresh" {
		t.Errorf("persisted %+v", store.persist)
	}
	store.session = &RecoverySession{SID: "elsewhere", PID: "p1", Rooms: []Room{"blue"}}
	store.missed = [][]engineio.Message{{{Data: []byte(`2["m1","x.7"]`)}}, {{Data: []byte(`2["m2","y.3"]`)}}}
	store.mu.Unlock()

	g := dial(srv, "e2")
	sid2, pid2 := connectReply(t, g, `{"pid":"p1","offset":"x.5"}`)
	if sid2 != "elsewhere" || pid2 != "p1" {
		t.Fatalf("restored sid %q pid %q", sid2, pid2)
	}
	g.expect(t, `2["m1","x.7"]`, `2["m2","y.3"]`)
	s2, _ := ns.Socket("elsewhere")
	if !s2.Recovered() || !s2.InRoom("blue") {
		t.Fatalf("recovered %v rooms %v", s2.Recovered(), s2.Rooms())
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if !slices.Equal(store.appended, []string{"node.1", "node.2"}) || len(store.restored) != 1 || store.restored[0] != [2]string{"p1", "x.5"} {
		t.Fatalf("appended %v restored %v", store.appended, store.restored)
	}
}

// A client that learns of its own departure from OnDisconnect's broadcasts (a peer's
// "left" event, say) and reconnects at once must find its session already kept.
func TestRecoveryPersistsBeforeOnDisconnect(t *testing.T) {
	store := &fakeStore{}
	srv, _ := recoveryServer(t, Recovery{Store: store})
	ns := srv.Of("/")
	persistedFirst := make(chan bool, 1)
	ns.OnDisconnect(func(s *Socket, _ DisconnectReason) {
		store.mu.Lock()
		persistedFirst <- len(store.persist) == 1 && store.persist[0].SID == s.ID()
		store.mu.Unlock()
		if !s.InRoom("red") {
			t.Error("socket left its rooms before OnDisconnect")
		}
	})
	f := dial(srv, "e1")
	connectReply(t, f, "")
	f.closeWith(engineio.CloseReasonTransportClose)
	select {
	case ok := <-persistedFirst:
		if !ok {
			t.Fatal("OnDisconnect ran before the session was persisted")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnDisconnect did not run")
	}
}

// A client may reconnect with its session while its old socket is still leaving (its
// OnDisconnect still running): the restored socket, which takes over the old id, waits
// for the old one to be out of the adapter, and then is in the session's rooms.
func TestRecoveryRestoreWaitsForTheOldSocketToLeave(t *testing.T) {
	srv, _ := recoveryServer(t, Recovery{MaxDisconnection: time.Minute})
	ns := srv.Of("/")
	inHandler, release := make(chan struct{}), make(chan struct{})
	ns.OnDisconnect(func(*Socket, DisconnectReason) {
		close(inHandler)
		<-release
	})
	f := dial(srv, "e1")
	sid, pid := connectReply(t, f, "")
	mustEmit(t, ns.Emit("ev"))
	f.expect(t, `2["ev","1"]`)
	go f.closeWith(engineio.CloseReasonTransportClose)
	<-inHandler

	g := dial(srv, "e2")
	handled := make(chan struct{})
	go func() {
		g.text(`0{"pid":"` + pid + `","offset":"1"}`) // returns once the CONNECT is handled
		close(handled)
	}()
	select {
	case <-handled:
		t.Fatal("restored while the old socket was still leaving")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-handled
	if m := g.next(t); !strings.Contains(string(m.Data), `"sid":"`+sid+`"`) {
		t.Fatalf("connect reply %s, want sid %q", m.Data, sid)
	}
	s2, ok := ns.Socket(sid)
	if !ok || !s2.Recovered() || !s2.InRoom("red") || !slices.Equal(s2.Rooms(), []Room{"red"}) {
		t.Fatalf("restored socket %v: rooms %v", ok, s2.Rooms())
	}
	if got := srv.adapter.Sockets("/", []Room{"red"}); len(got) != 1 || got[0] != s2 {
		t.Fatalf("room red holds %v", got)
	}
}
