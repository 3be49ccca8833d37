package socketio

import (
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
)

func BenchmarkDecodeEvent(b *testing.B) {
	msg := []byte(`2/chat,12["message:send",{"roomId":"r1","text":"hello there, how are you?","clientMsgId":"abc-123"}]`)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	var args []json.RawMessage
	for b.Loop() {
		p, err := decodePacket(msg, 10)
		if err != nil {
			b.Fatal(err)
		}
		args = splitArray(args[:0], p.data)
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	srv := newServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ns := srv.Of("/chat")
	msg := json.RawMessage(`{"id":"m1","roomId":"r1","from":"u1","text":"hello there","ts":1700000000000}`)
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ns.encodeEvent("message:new", noAck, []any{msg}, nil, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scalars", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ns.encodeEvent("typing", noAck, []any{"r1", "u1", true}, nil, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	type message struct {
		ID, RoomID, From, Text string
		TS                     int64
	}
	b.Run("struct", func(b *testing.B) {
		m := message{"m1", "r1", "u1", "hello <there>", 1700000000000}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ns.encodeEvent("message:new", noAck, []any{m}, nil, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// nullConn is a session that accepts and drops everything.
type nullConn struct {
	hs     engineio.Handshake
	recv   *client
	closed sync.Once
}

func (*nullConn) ID() string                          { return "null" }
func (c *nullConn) Handshake() *engineio.Handshake    { return &c.hs }
func (*nullConn) Send(msgs ...engineio.Message) error { return nil }
func (c *nullConn) Close() {
	c.closed.Do(func() { c.recv.OnClose(engineio.CloseReasonForced) })
}

// dialNull attaches a nullConn to srv and connects it to nsp.
func dialNull(srv *Server, nsp string) *client {
	nc := &nullConn{}
	nc.recv = srv.accept(nc)
	nc.recv.OnMessage([]byte("0"+nsp+","), false)
	return nc.recv
}

// BenchmarkBroadcast1000 broadcasts to a room of 1000 sockets: the cost beyond the
// Engine.IO queues (one encoding, receiver collection, one Send per socket).
func BenchmarkBroadcast1000(b *testing.B) {
	srv := newServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ns := srv.Of("/chat")
	for range 1000 {
		dialNull(srv, "/chat")
	}
	for _, s := range srv.adapter.Sockets("/chat", nil) {
		s.Join("lobby")
	}
	msg := json.RawMessage(`{"id":"m1","roomId":"lobby","from":"u1","text":"hello","ts":1700000000000}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := ns.To("lobby").Emit("message:new", msg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := ns.statsSnapshot(); st.EventsOut < 1000 {
		b.Fatalf("events out %d", st.EventsOut)
	}
	_ = srv.Shutdown(b.Context())
}

// BenchmarkDispatch measures one inbound event through decode, lookup and handler.
func BenchmarkDispatch(b *testing.B) {
	srv := newServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ns := srv.Of("/chat")
	ns.On("message:send", func(*Socket, *Event) {})
	c := dialNull(srv, "/chat")
	msgs := make([][]byte, 16)
	for i := range msgs {
		msgs[i] = []byte(`2/chat,` + strconv.Itoa(i) + `["message:send",{"roomId":"r1","text":"hello"}]`)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.OnMessage(msgs[i%len(msgs)], false)
		i++
	}
	b.StopTimer()
	_ = srv.Shutdown(b.Context())
}
