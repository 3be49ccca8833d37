package socketio

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestDecodePacket(t *testing.T) {
	tests := []struct {
		in   string
		want packet
	}{
		{`0`, packet{typ: packetConnect, id: noAck}},
		{`0{"token":"123"}`, packet{typ: packetConnect, id: noAck, data: []byte(`{"token":"123"}`)}},
		{`0/custom,`, packet{typ: packetConnect, nsp: []byte("/custom"), id: noAck}},
		{`0/custom`, packet{typ: packetConnect, nsp: []byte("/custom"), id: noAck}},
		{`0/custom,{"a":1}`, packet{typ: packetConnect, nsp: []byte("/custom"), id: noAck, data: []byte(`{"a":1}`)}},
		{`1`, packet{typ: packetDisconnect, id: noAck}},
		{`1/custom,`, packet{typ: packetDisconnect, nsp: []byte("/custom"), id: noAck}},
		{`2["hello",1]`, packet{typ: packetEvent, id: noAck, data: []byte(`["hello",1]`)}},
		{`2[1,"x"]`, packet{typ: packetEvent, id: noAck, data: []byte(`[1,"x"]`)}},
		{`2456["m"]`, packet{typ: packetEvent, id: 456, data: []byte(`["m"]`)}},
		{`2/chat,12["m"]`, packet{typ: packetEvent, nsp: []byte("/chat"), id: 12, data: []byte(`["m"]`)}},
		{`30[]`, packet{typ: packetAck, id: 0, data: []byte(`[]`)}},
		{`3/chat,7["ok"]`, packet{typ: packetAck, nsp: []byte("/chat"), id: 7, data: []byte(`["ok"]`)}},
		{`4{"message":"x"}`, packet{typ: packetConnectError, id: noAck, data: []byte(`{"message":"x"}`)}},
		{`52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
			packet{typ: packetBinaryEvent, id: noAck, attachments: 2,
				data: []byte(`["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)}},
		{`51-/chat,9["m",{"_placeholder":true,"num":0}]`,
			packet{typ: packetBinaryEvent, nsp: []byte("/chat"), id: 9, attachments: 1,
				data: []byte(`["m",{"_placeholder":true,"num":0}]`)}},
		{`61-789[{"_placeholder":true,"num":0}]`,
			packet{typ: packetBinaryAck, id: 789, attachments: 1, data: []byte(`[{"_placeholder":true,"num":0}]`)}},
		{`2["a\"b"]`, packet{typ: packetEvent, id: noAck, data: []byte(`["a\"b"]`)}},
		{`2 ["x"] `, packet{typ: packetEvent, id: noAck, data: []byte(` ["x"] `)}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := decodePacket([]byte(tt.in), 10)
			if err != nil {
				t.Fatalf("decodePacket: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodePacketRejects(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{``, errEmptyPacket},
		{`7`, errUnknownType},
		{`a`, errUnknownType},
		{`4abc`, errInvalidPayload},
		{`2{}`, errInvalidPayload},
		{`2abc["m",1]`, errInvalidPayload},
		{`2`, errInvalidPayload},
		{`2[]`, errInvalidPayload},
		{`2[null]`, errInvalidPayload},
		{`2[{}]`, errInvalidPayload},
		{`2["connect"]`, errInvalidPayload},
		{`2["disconnect",1]`, errInvalidPayload},
		{`2["newListener"]`, errInvalidPayload},
		{`2["removeListener"]`, errInvalidPayload},
		{`2["connect_error"]`, errInvalidPayload},
		{`2["disconnecting"]`, errInvalidPayload},
		{`2["\u0063onnect"]`, errInvalidPayload}, // escaped "connect" is still reserved
		{`2["m"`, errInvalidPayload},
		{`0[]`, errInvalidPayload},
		{`0"x"`, errInvalidPayload},
		{`0null`, errInvalidPayload},
		{`1{}`, errInvalidPayload},
		{`3`, errInvalidPayload},
		{`31{}`, errInvalidPayload},
		{`4[]`, errInvalidPayload},
		{`5-["m"]`, errIllegalAttach},
		{`50-["m"]`, errIllegalAttach},
		{`5x-["m"]`, errIllegalAttach},
		{`51["m"]`, errIllegalAttach},
		{`5`, errIllegalAttach},
		{`511-["m"]`, errTooManyAttach},
		{`2123456789012345678["m"]`, errIllegalAckID},
		{`29007199254740992["m"]`, errIllegalAckID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := decodePacket([]byte(tt.in), 10)
			if !errors.Is(err, tt.want) {
				t.Fatalf("decodePacket(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestDecodeMaxAttachmentsConfigurable(t *testing.T) {
	if _, err := decodePacket([]byte(`53-["m"]`), 2); !errors.Is(err, errTooManyAttach) {
		t.Fatalf("3 attachments with max 2: %v", err)
	}
	if _, err := decodePacket([]byte(`52-["m"]`), 2); err != nil {
		t.Fatalf("2 attachments with max 2: %v", err)
	}
}

func TestMaxAckIDAccepted(t *testing.T) {
	p, err := decodePacket([]byte(`29007199254740991["m"]`), 10)
	if err != nil || p.id != maxAckID {
		t.Fatalf("got %d, %v", p.id, err)
	}
}

func TestSplitArray(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`[]`, nil},
		{` [ ] `, nil},
		{`["m"]`, []string{`"m"`}},
		{`["m",1,"2",{"3":[true]}]`, []string{`"m"`, `1`, `"2"`, `{"3":[true]}`}},
		{`[ "a" , [1,[2,"]"]] , {"k":"}\"{"} , null , -1.5e3 ]`,
			[]string{`"a"`, `[1,[2,"]"]]`, `{"k":"}\"{"}`, `null`, `-1.5e3`}},
		{`["\\",false]`, []string{`"\\"`, `false`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := splitArray(nil, []byte(tt.in))
			if len(got) != len(tt.want) || countArray([]byte(tt.in)) != len(tt.want) {
				t.Fatalf("got %d elements %q, want %q", len(got), got, tt.want)
			}
			for i := range got {
				if string(got[i]) != tt.want[i] {
					t.Fatalf("element %d = %s, want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestAppendQuotedMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		"", "plain", `quote " backslash \`, "<script>&amp;</script>", "tab\tnl\nret\r",
		"\x00\x01\x1f\x7f", "héllo wörld ☃ 🎉", "bad \xff utf8 \xc3", "line\u2028sep\u2029",
	}
	for _, in := range inputs {
		got := string(appendQuoted(nil, in))
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatalf("appendQuoted(%q) = %s: not JSON: %v", in, got, err)
		}
		e := newEncodeState()
		if err := e.appendJSON(in); err != nil {
			t.Fatal(err)
		}
		if got != string(e.data) {
			t.Errorf("appendQuoted(%q) = %s, encoding/json = %s", in, got, e.data)
		}
	}
}
