package socketio

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
)

func encodeEventForTest(t *testing.T, nsp string, id int64, args []any, offset string) []engineio.Message {
	t.Helper()
	e := newEncodeState()
	if err := e.eventData("ev", args, offset); err != nil {
		t.Fatal(err)
	}
	return e.messages(packetEvent, nsp, id)
}

func TestEncodeEvent(t *testing.T) {
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	tests := []struct {
		name   string
		nsp    string
		id     int64
		args   []any
		offset string
		want   string
	}{
		{"no args", "/", noAck, nil, "", `2["ev"]`},
		{"scalars", "/", noAck, []any{1, "2", true, nil, int64(-3), 1.5}, "", `2["ev",1,"2",true,null,-3,1.5]`},
		{"raw verbatim", "/", noAck, []any{json.RawMessage(`{"b":1, "a":2}`)}, "", `2["ev",{"b":1, "a":2}]`},
		{"empty raw is null", "/", noAck, []any{json.RawMessage(nil)}, "", `2["ev",null]`},
		{"no html escaping", "/", noAck, []any{"<a&b>", map[string]any{"k": "<>"}}, "", `2["ev","<a&b>",{"k":"<>"}]`},
		{"struct", "/", noAck, []any{point{1, 2}}, "", `2["ev",{"x":1,"y":2}]`},
		{"namespace and id", "/chat", 12, []any{"x"}, "", `2/chat,12["ev","x"]`},
		{"ack id zero", "/", 0, nil, "", `20["ev"]`},
		{"offset last", "/", noAck, []any{"x"}, "k3", `2["ev","x","k3"]`},
		{"offset only", "/chat", noAck, nil, "1", `2/chat,["ev","1"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := encodeEventForTest(t, tt.nsp, tt.id, tt.args, tt.offset)
			if len(msgs) != 1 || msgs[0].Binary || string(msgs[0].Data) != tt.want {
				t.Fatalf("got %s, want %s", describe(msgs...), tt.want)
			}
			if cap(msgs[0].Data) != len(msgs[0].Data) {
				t.Errorf("text message has spare capacity %d", cap(msgs[0].Data)-len(msgs[0].Data))
			}
		})
	}
}

func TestEncodeEventError(t *testing.T) {
	e := newEncodeState()
	if err := e.eventData("ev", []any{math.Inf(1)}, ""); err == nil {
		t.Fatal("encoding +Inf succeeded")
	}
	if err := e.eventData("ev", []any{make(chan int)}, ""); err == nil {
		t.Fatal("encoding a channel succeeded")
	}
}

func TestEncodeBinaryEvent(t *testing.T) {
	a, b := []byte{1, 2, 3}, []byte{4, 5, 6}
	msgs := encodeEventForTest(t, "/chat", 7, []any{"x", a, map[string]any{"f": b, "n": 1}}, "")
	want := `52-/chat,7["ev","x",{"_placeholder":true,"num":0},{"f":{"_placeholder":true,"num":1},"n":1}]`
	if len(msgs) != 3 || string(msgs[0].Data) != want {
		t.Fatalf("got %s", describe(msgs...))
	}
	if !msgs[1].Binary || !bytes.Equal(msgs[1].Data, a) || !msgs[2].Binary || !bytes.Equal(msgs[2].Data, b) {
		t.Fatalf("attachments %s", describe(msgs[1:]...))
	}
	a[0] = 9
	if msgs[1].Data[0] != 1 {
		t.Fatal("attachment shares memory with the caller's slice")
	}
}

func TestEncodeNestedBinaryInSlice(t *testing.T) {
	msgs := encodeEventForTest(t, "/", noAck, []any{[]any{"a", []byte{7}, []any{[]byte{8}}}}, "")
	want := `52-["ev",["a",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]]]`
	if len(msgs) != 3 || string(msgs[0].Data) != want || msgs[1].Data[0] != 7 || msgs[2].Data[0] != 8 {
		t.Fatalf("got %s", describe(msgs...))
	}
}

func TestEncodePayloadEventKeepsBytes(t *testing.T) {
	att := []byte{1, 2, 3}
	p := Payload{Args: []json.RawMessage{json.RawMessage(`{"_placeholder":true,"num":0}`), json.RawMessage(`"s"`)},
		Attachments: [][]byte{att}}
	e := newEncodeState()
	e.eventPayloadData("message-back", p, "")
	msgs := e.messages(packetEvent, "/", noAck)
	if string(msgs[0].Data) != `51-["message-back",{"_placeholder":true,"num":0},"s"]` {
		t.Fatalf("got %s", describe(msgs...))
	}
	if &msgs[1].Data[0] != &att[0] {
		t.Fatal("payload attachment was copied")
	}
}

func TestEncodeAck(t *testing.T) {
	e := newEncodeState()
	if err := e.ackData([]any{1, "2", map[string]any{"3": []any{false}}}); err != nil {
		t.Fatal(err)
	}
	if got := string(e.messages(packetAck, "/", 456)[0].Data); got != `3456[1,"2",{"3":[false]}]` {
		t.Fatalf("got %s", got)
	}
	e = newEncodeState()
	e.ackPayloadData(Payload{Args: []json.RawMessage{json.RawMessage(`{"_placeholder":true,"num":0}`)}, Attachments: [][]byte{{1}}})
	msgs := e.messages(packetAck, "/custom", 789)
	if string(msgs[0].Data) != `61-/custom,789[{"_placeholder":true,"num":0}]` || len(msgs) != 2 {
		t.Fatalf("got %s", describe(msgs...))
	}
	e = newEncodeState()
	if err := e.ackData(nil); err != nil {
		t.Fatal(err)
	}
	if got := string(e.messages(packetAck, "/", 1)[0].Data); got != `31[]` {
		t.Fatalf("empty ack %s", got)
	}
}

func TestEncodeControlPackets(t *testing.T) {
	e := newEncodeState()
	e.connectData("abc", "")
	if got := string(e.messages(packetConnect, "/", noAck)[0].Data); got != `0{"sid":"abc"}` {
		t.Fatalf("connect %s", got)
	}
	e = newEncodeState()
	e.connectData("abc", "p1")
	if got := string(e.messages(packetConnect, "/x", noAck)[0].Data); got != `0/x,{"sid":"abc","pid":"p1"}` {
		t.Fatalf("connect with pid %s", got)
	}
	e = newEncodeState()
	if err := e.connectErrorData("Invalid namespace", nil); err != nil {
		t.Fatal(err)
	}
	if got := string(e.messages(packetConnectError, "/random", noAck)[0].Data); got != `4/random,{"message":"Invalid namespace"}` {
		t.Fatalf("connect error %s", got)
	}
	e = newEncodeState()
	if err := e.connectErrorData("no", map[string]any{"code": "<x>"}); err != nil {
		t.Fatal(err)
	}
	if got := string(e.messages(packetConnectError, "/", noAck)[0].Data); got != `4{"message":"no","data":{"code":"<x>"}}` {
		t.Fatalf("connect error with data %s", got)
	}
	e = newEncodeState()
	if err := e.connectErrorData("no", make(chan int)); err == nil {
		t.Fatal("unencodable data accepted")
	}
	if got := string(e.messages(packetConnectError, "/", noAck)[0].Data); got != `4{"message":"no"}` {
		t.Fatalf("connect error with bad data %s", got)
	}
	e = newEncodeState()
	if got := string(e.messages(packetDisconnect, "/", noAck)[0].Data); got != `1` {
		t.Fatalf("disconnect %s", got)
	}
	if got := string(e.messages(packetDisconnect, "/chat", noAck)[0].Data); got != `1/chat,` {
		t.Fatalf("disconnect ns %s", got)
	}
}

// TestRoundTrip encodes, decodes and splits events, binary ones included.
func TestRoundTrip(t *testing.T) {
	args := []any{"é<>&", 42, []byte{0, 255}, map[string]any{"k": []any{true, nil}}, json.RawMessage(`[1,{"a":"]"}]`)}
	msgs := encodeEventForTest(t, "/ns", 99, args, "")
	pkt, err := decodePacket(msgs[0].Data, 10)
	if err != nil {
		t.Fatal(err)
	}
	if pkt.typ != packetBinaryEvent || pkt.namespace() != "/ns" || pkt.id != 99 || pkt.attachments != len(msgs)-1 {
		t.Fatalf("decoded %+v", pkt)
	}
	got := splitArray(nil, pkt.data)
	want := []string{`"ev"`, `"é<>&"`, `42`, `{"_placeholder":true,"num":0}`, `{"k":[true,null]}`, `[1,{"a":"]"}]`}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Fatalf("arg %d = %s, want %s", i, got[i], want[i])
		}
	}
	ev := Event{Payload: Payload{Args: got[1:], Attachments: [][]byte{msgs[1].Data}}}
	var s string
	var n int
	var bin []byte
	var m map[string]any
	if err := ev.Bind(&s, &n, &bin, &m); err != nil {
		t.Fatal(err)
	}
	if s != "é<>&" || n != 42 || !bytes.Equal(bin, []byte{0, 255}) || !reflect.DeepEqual(m, map[string]any{"k": []any{true, nil}}) {
		t.Fatalf("bound %q %d %v %v", s, n, bin, m)
	}
}
