package socketio

import (
	"encoding/json"
	"testing"
)

// FuzzDecodePacket checks that the decoder never panics, that what it accepts has
// the shape its type requires, and that accepted packets survive re-encoding.
func FuzzDecodePacket(f *testing.F) {
	for _, s := range []string{
		`0`, `0{"token":"123"}`, `0/custom,`, `0/custom`, `1/custom,`, `2["m",1,"2",{"3":[true]}]`,
		`2456["message-with-ack",1]`, `30[]`, `3/a,7["x"]`, `4{"message":"x"}`,
		`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
		`62-789[{"_placeholder":true,"num":0}]`, `abc`, `2{}`, `2abc["m"]`, `2["connect"]`,
		`2[12]`, `2["a\"b\\"]`, `2 [ "x" , [1,{"]":"["}] ]`, `5-[]`, `51-/x,`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		p, err := decodePacket(msg, 10)
		if err != nil {
			return
		}
		if p.data != nil && !json.Valid(p.data) {
			t.Fatalf("accepted invalid JSON %q", p.data)
		}
		switch p.typ {
		case packetEvent, packetBinaryEvent:
			args := splitArray(nil, p.data)
			if len(args) == 0 || len(args) != countArray(p.data) {
				t.Fatalf("event %q split into %d args", p.data, len(args))
			}
			for _, a := range args {
				if !json.Valid(a) {
					t.Fatalf("argument %q of %q is not JSON", a, p.data)
				}
			}
			reencodeEvent(t, &p, args)
		case packetAck, packetBinaryAck:
			for _, a := range splitArray(nil, p.data) {
				if !json.Valid(a) {
					t.Fatalf("argument %q of %q is not JSON", a, p.data)
				}
			}
		}
	})
}

// reencodeEvent encodes the decoded event again and checks it decodes to the same.
func reencodeEvent(t *testing.T, p *packet, args []json.RawMessage) {
	raw := args[0]
	if raw[0] != '"' {
		return // numeric names are not re-emitted
	}
	name, err := eventName(raw)
	if err != nil {
		t.Fatalf("event name %q: %v", raw, err)
	}
	e := newEncodeState()
	atts := make([][]byte, p.attachments)
	e.eventPayloadData(string(name), Payload{Args: args[1:], Attachments: atts}, "")
	msgs := e.messages(packetEvent, p.namespace(), p.id)
	q, err := decodePacket(msgs[0].Data, 10)
	if err != nil {
		t.Fatalf("re-encoded %q does not decode: %v", msgs[0].Data, err)
	}
	if q.namespace() != p.namespace() || q.id != p.id || q.attachments != p.attachments {
		t.Fatalf("re-encoded %q decodes to %+v, want %+v", msgs[0].Data, q, p)
	}
	back := splitArray(nil, q.data)
	if len(back) != len(args) {
		t.Fatalf("re-encoded %q has %d args, want %d", msgs[0].Data, len(back), len(args))
	}
	for i := 1; i < len(args); i++ {
		if string(back[i]) != string(args[i]) {
			t.Fatalf("argument %d: %q, want %q", i, back[i], args[i])
		}
	}
}

// FuzzAppendQuoted checks the string encoder against encoding/json.
func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"", "a", "<&>", "\x00\n", "\xff", "\u2028", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendQuoted(nil, s)
		e := newEncodeState()
		if err := e.appendJSON(s); err != nil {
			t.Fatal(err)
		}
		if string(got) != string(e.data) {
			t.Fatalf("appendQuoted(%q) = %s, encoding/json %s", s, got, e.data)
		}
	})
}
