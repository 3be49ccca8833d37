package socketio

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

// conformanceServer registers what the socket.io-protocol suite expects.
func conformanceServer(t *testing.T, cfg Config) *Server {
	srv := testServer(t, cfg)
	ns := srv.Of("/")
	ns.On("message", func(s *Socket, e *Event) {
		if err := s.EmitPayload("message-back", e.Payload); err != nil {
			t.Error(err)
		}
	})
	ns.On("message-with-ack", func(s *Socket, e *Event) {
		if err := e.AckPayload(e.Payload); err != nil {
			t.Error(err)
		}
	})
	return srv
}

func TestEventsEchoVerbatim(t *testing.T) {
	srv := conformanceServer(t, Config{})
	f, _ := connect(t, srv, "e1", "/")
	f.text(`2["message",1,"2",{"3":[true]}]`)
	f.expect(t, `2["message-back",1,"2",{"3":[true]}]`)
	f.text(`2456["message-with-ack",1,"2",{"3":[false]}]`)
	f.expect(t, `3456[1,"2",{"3":[false]}]`)
}

func TestBinaryEventAndAck(t *testing.T) {
	srv := conformanceServer(t, Config{})
	f, _ := connect(t, srv, "e1", "/")
	f.text(`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	f.expectNothing(t)
	f.binary([]byte{1, 2, 3})
	f.expectNothing(t)
	f.binary([]byte{4, 5, 6})
	f.expect(t, `52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	f.expectBinary(t, []byte{1, 2, 3})
	f.expectBinary(t, []byte{4, 5, 6})

	f.text(`52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	f.binary([]byte{1, 2, 3})
	f.binary([]byte{4, 5, 6})
	f.expect(t, `62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	f.expectBinary(t, []byte{1, 2, 3})
	f.expectBinary(t, []byte{4, 5, 6})
}

func TestMalformedClosesSession(t *testing.T) {
	for _, in := range []string{`abc`, `2{}`, `2abc["message-with-ack",1]`, `2["connect"]`, `4{"message":"x"}`, `511-["m"]`} {
		t.Run(in, func(t *testing.T) {
			srv := conformanceServer(t, Config{})
			var reason DisconnectReason
			srv.Of("/").OnDisconnect(func(_ *Socket, r DisconnectReason) { reason = r })
			f, _ := connect(t, srv, "e1", "/")
			f.text(in)
			f.waitClosed(t)
			if reason != ReasonParseError {
				t.Fatalf("reason %v", reason)
			}
		})
	}
}

func TestMalformedBeforeConnectClosesSession(t *testing.T) {
	srv := conformanceServer(t, Config{})
	f := dial(srv, "e1")
	f.text(`abc`)
	f.waitClosed(t)
	if srv.ConnectionCount() != 0 {
		t.Fatal("closed session still counted")
	}
}

func TestAttachmentSequenceViolations(t *testing.T) {
	srv := conformanceServer(t, Config{})
	f, _ := connect(t, srv, "e1", "/")
	f.binary([]byte{1})
	f.waitClosed(t)

	g, _ := connect(t, srv, "e2", "/")
	g.text(`51-["message",{"_placeholder":true,"num":0}]`)
	g.text(`2["message"]`)
	g.waitClosed(t)
}

func TestEventDataOutlivesMessageBuffer(t *testing.T) {
	srv := testServer(t, Config{})
	var kept *Event
	srv.Of("/").On("keep", func(_ *Socket, e *Event) { kept = e })
	f, _ := connect(t, srv, "e1", "/")
	buf := []byte(`2["keep","abc"]`)
	f.deliver(buf, false)
	for i := range buf {
		buf[i] = 'x'
	}
	if string(kept.Args[0]) != `"abc"` {
		t.Fatalf("event argument changed with the transport buffer: %s", kept.Args[0])
	}
}

func TestAckRules(t *testing.T) {
	srv := testServer(t, Config{})
	errs := make(chan error, 4)
	srv.Of("/").On("ev", func(_ *Socket, e *Event) {
		errs <- e.Ack("one")
		errs <- e.Ack("two")
	})
	f, _ := connect(t, srv, "e1", "/")
	f.text(`2["ev"]`)
	if err := <-errs; !errors.Is(err, ErrNoAck) {
		t.Fatalf("ack without id: %v", err)
	}
	<-errs
	f.text(`2/,5["ev"]`) // an explicit "/" is the main namespace
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	f.expect(t, `35["one"]`)
	if err := <-errs; !errors.Is(err, ErrAcked) {
		t.Fatalf("second ack: %v", err)
	}
}

func TestAckOnceAndWantsAck(t *testing.T) {
	srv := testServer(t, Config{})
	var wants bool
	var second error
	srv.Of("/chat").On("ev", func(_ *Socket, e *Event) {
		wants = e.WantsAck()
		_ = e.Ack("one", []byte{9})
		second = e.Ack("two")
	})
	f, _ := connect(t, srv, "e1", "/chat")
	f.text(`2/chat,5["ev"]`)
	f.expect(t, `61-/chat,5["one",{"_placeholder":true,"num":0}]`)
	f.expectBinary(t, []byte{9})
	if !wants || !errors.Is(second, ErrAcked) {
		t.Fatalf("wants %v second %v", wants, second)
	}
}

func TestAsyncAckAfterHandlerReturns(t *testing.T) {
	srv := testServer(t, Config{})
	var wg sync.WaitGroup
	srv.Of("/").On("ev", func(_ *Socket, e *Event) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int
			_ = e.Bind(&n)
			_ = e.Ack(n + 1)
		}()
	})
	f, _ := connect(t, srv, "e1", "/")
	f.text(`27["ev",41]`)
	wg.Wait()
	f.expect(t, `37[42]`)
}

func TestBind(t *testing.T) {
	e := Event{Payload: Payload{
		Args:        []json.RawMessage{json.RawMessage(`{"a":1}`), json.RawMessage(`{"_placeholder":true,"num":0}`), json.RawMessage(`"AQI="`)},
		Attachments: [][]byte{{7, 8}},
	}}
	var m struct{ A int }
	var b, b64 []byte
	untouched := 5
	if err := e.Bind(&m, &b, &b64, &untouched); err != nil {
		t.Fatal(err)
	}
	if m.A != 1 || string(b) != "\x07\x08" || string(b64) != "\x01\x02" || untouched != 5 {
		t.Fatalf("bound %+v %v %v %d", m, b, b64, untouched)
	}
	if err := e.Bind(nil, nil, new(int)); err == nil {
		t.Fatal("binding a string into an int succeeded")
	}
	out := []byte("keep")
	bad := Event{Payload: Payload{Args: []json.RawMessage{json.RawMessage(`{"_placeholder":true,"num":3}`)}}}
	if err := bad.Bind(&out); err == nil {
		t.Fatal("placeholder without attachment bound")
	}
}

func TestOnAnyAndNumericEventName(t *testing.T) {
	srv := testServer(t, Config{})
	var names []string
	ns := srv.Of("/")
	ns.On("known", func(_ *Socket, e *Event) { names = append(names, "on:"+e.Name) })
	ns.OnAny(func(_ *Socket, e *Event) { names = append(names, "any:"+e.Name) })
	f, _ := connect(t, srv, "e1", "/")
	f.text(`2["known"]`)
	f.text(`2["other",1]`)
	f.text(`2[12,"x"]`)
	f.text(`2["a\nb"]`)
	want := []string{"on:known", "any:other", "any:12", "any:a\nb"}
	if len(names) != len(want) {
		t.Fatalf("names %q", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("names %q, want %q", names, want)
		}
	}
}

func TestHandlerPanicKeepsSession(t *testing.T) {
	srv := testServer(t, Config{})
	ns := srv.Of("/")
	ns.On("boom", func(*Socket, *Event) { panic("boom") })
	ns.On("ping", func(s *Socket, _ *Event) { _ = s.Emit("pong") })
	f, _ := connect(t, srv, "e1", "/")
	f.text(`2["boom"]`)
	f.text(`2["ping"]`)
	f.expect(t, `2["pong"]`)
	if f.isClosed() {
		t.Fatal("panic closed the session")
	}
}

// TestEventsInOrder checks that one socket's handlers run one at a time, in arrival
// order, even when they block.
func TestEventsInOrder(t *testing.T) {
	srv := testServer(t, Config{})
	var mu sync.Mutex
	var seen []int
	running := 0
	srv.Of("/").On("n", func(_ *Socket, e *Event) {
		mu.Lock()
		running++
		if running > 1 {
			t.Error("handlers overlap")
		}
		mu.Unlock()
		var n int
		_ = e.Bind(&n)
		time.Sleep(time.Millisecond)
		mu.Lock()
		seen = append(seen, n)
		running--
		mu.Unlock()
	})
	f, _ := connect(t, srv, "e1", "/")
	for i := range 20 {
		f.text(`2["n",` + itoa(i) + `]`)
	}
	for i, n := range seen {
		if n != i {
			t.Fatalf("order %v", seen)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestReservedEventNamesRefused(t *testing.T) {
	srv := testServer(t, Config{})
	var sock *Socket
	srv.Of("/").OnConnect(func(s *Socket) { sock = s })
	f, _ := connect(t, srv, "e1", "/")
	for _, name := range reservedEvents {
		if err := sock.Emit(name); !errors.Is(err, ErrReservedEvent) {
			t.Fatalf("Emit(%q) = %v", name, err)
		}
		if err := srv.Of("/").Emit(name); !errors.Is(err, ErrReservedEvent) {
			t.Fatalf("broadcast %q = %v", name, err)
		}
		if err := sock.EmitWithAck(name, nil, 0, func([]json.RawMessage, error) {}); !errors.Is(err, ErrReservedEvent) {
			t.Fatalf("EmitWithAck(%q) = %v", name, err)
		}
	}
	f.expectNothing(t)
}
