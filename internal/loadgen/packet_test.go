package loadgen

import (
	"bytes"
	"testing"
)

func TestParseSIO(t *testing.T) {
	for _, tt := range []struct {
		in   string
		ok   bool
		typ  byte
		nsp  string
		id   int64
		data string
	}{
		{in: `0/chat,{"sid":"x"}`, ok: true, typ: sioConnect, nsp: "/chat", id: noAck, data: `{"sid":"x"}`},
		{in: `2/chat,["newMessage",{"id":"1"}]`, ok: true, typ: sioEvent, nsp: "/chat", id: noAck, data: `["newMessage",{"id":"1"}]`},
		{in: `3/chat,17[{"id":"a"}]`, ok: true, typ: sioAck, nsp: "/chat", id: 17, data: `[{"id":"a"}]`},
		{in: `2["hello"]`, ok: true, typ: sioEvent, nsp: "", id: noAck, data: `["hello"]`},
		{in: `212["hello"]`, ok: true, typ: sioEvent, nsp: "", id: 12, data: `["hello"]`},
		{in: `1/chat,`, ok: true, typ: sioDisconnect, nsp: "/chat", id: noAck, data: ``},
		{in: `1/chat`, ok: true, typ: sioDisconnect, nsp: "/chat", id: noAck, data: ``},
		{in: `4/chat,{"message":"unauthorized"}`, ok: true, typ: sioConnectError, nsp: "/chat", id: noAck, data: `{"message":"unauthorized"}`},
		{in: ``, ok: false},
		{in: `5/chat,1-["bin",{"_placeholder":true,"num":0}]`, ok: false}, // binary: never sent to us
		{in: `x`, ok: false},
		{in: `3/chat,99999999999999999999[]`, ok: false}, // id overflows int64
	} {
		pkt, ok := parseSIO([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("parseSIO(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if pkt.typ != tt.typ || string(pkt.nsp) != tt.nsp || pkt.id != tt.id || string(pkt.data) != tt.data {
			t.Errorf("parseSIO(%q) = %c %q %d %q, want %c %q %d %q", tt.in,
				pkt.typ, pkt.nsp, pkt.id, pkt.data, tt.typ, tt.nsp, tt.id, tt.data)
		}
	}
}

func TestEventIs(t *testing.T) {
	for _, tt := range []struct {
		data string
		want bool
	}{
		{`["newMessage",{}]`, true},
		{`["newMessage"]`, true},
		{`["newMessages",{}]`, false},
		{`["newMessag",{}]`, false},
		{`[ "newMessage",{}]`, false},
		{`["new`, false},
		{``, false},
	} {
		if got := eventIs([]byte(tt.data), "newMessage"); got != tt.want {
			t.Errorf("eventIs(%q) = %v, want %v", tt.data, got, tt.want)
		}
	}
}

func TestStringField(t *testing.T) {
	msg := []byte(`["newMessage",{"id":"0000000000001-abc","content":"0.1.2.3.xx","sender":"u","roomId":"r-1","timestamp":"t"}]`)
	for _, tt := range []struct {
		key, want string
		ok        bool
	}{
		{keyID, "0000000000001-abc", true},
		{keyContent, "0.1.2.3.xx", true},
		{keyRoomID, "r-1", true},
		{keyCode, "", false},
	} {
		got, ok := stringField(msg, tt.key)
		if ok != tt.ok || string(got) != tt.want {
			t.Errorf("stringField(%s) = %q %v, want %q %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := stringField([]byte(`{"id":"unterminated`), keyID); ok {
		t.Error("an unterminated string must not be returned")
	}
}

func TestErrorAck(t *testing.T) {
	refused := []byte(`[{"error":{"type":"rate_limit","code":"rate_limited","message":"slow down","retryAfterMs":50}}]`)
	if !isErrorAck(refused) || errorCode(refused) != "rate_limited" {
		t.Errorf("refusal not recognised: %v %q", isErrorAck(refused), errorCode(refused))
	}
	receipt := []byte(`[{"id":"1","timestamp":"t","status":"sent","roomId":"r"}]`)
	if isErrorAck(receipt) {
		t.Error("a receipt is not an error")
	}
	if errorCode([]byte(`[{"error":{}}]`)) != "unknown" {
		t.Error("an error without code must read unknown")
	}
}

func TestAppendEmitHead(t *testing.T) {
	got := string(appendEmitHead(nil, 7, "sendMessage"))
	if got != `42/chat,7["sendMessage",` {
		t.Errorf("with ack: %q", got)
	}
	got = string(appendEmitHead(nil, noAck, "heartbeat"))
	if got != `42/chat,["heartbeat",` {
		t.Errorf("without ack: %q", got)
	}
	// What we write must parse back as what we meant.
	pkt, ok := parseSIO([]byte(`2/chat,7["sendMessage",{}]`))
	if !ok || pkt.id != 7 || !eventIs(pkt.data, "sendMessage") {
		t.Errorf("round trip: %+v %v", pkt, ok)
	}
}

func FuzzParseSIO(f *testing.F) {
	for _, s := range []string{`0/chat,{"sid":"x"}`, `3/chat,17[{"id":"a"}]`, `2["e"]`, `1/chat`, `4/chat,{}`, `21`, `3/,`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		pkt, ok := parseSIO(p)
		if !ok {
			return
		}
		if pkt.typ < sioConnect || pkt.typ > sioConnectError || pkt.typ != p[0] {
			t.Fatalf("type %q from %q", pkt.typ, p)
		}
		if pkt.id < noAck {
			t.Fatalf("id %d from %q", pkt.id, p)
		}
		if !bytes.HasSuffix(p, pkt.data) || (pkt.nsp != nil && pkt.nsp[0] != '/') {
			t.Fatalf("data %q nsp %q not taken from %q", pkt.data, pkt.nsp, p)
		}
		eventIs(pkt.data, "newMessage")
		stringField(pkt.data, keyContent)
	})
}
