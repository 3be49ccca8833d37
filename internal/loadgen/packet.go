package loadgen

import (
	"bytes"
	"strconv"
)

// The wire, as this client sees it: every WebSocket text frame is one Engine.IO packet,
// a type digit then data; an Engine.IO message (4) carries one Socket.IO packet, again a
// type digit, then "/nsp," unless the namespace is "/", then an optional ack id in
// decimal, then a JSON payload.
//
//	0{"sid":…}                 Engine.IO open
//	2 / 3                      Engine.IO ping / pong
//	40/chat,{"sid":…}          Socket.IO CONNECT accepted
//	44/chat,{"message":…}      Socket.IO CONNECT_ERROR
//	42/chat,["event",…]        event; 42/chat,7["event",…] asks for ack 7
//	43/chat,7[…]               ack 7

// Engine.IO packet types.
const (
	eioOpen    = '0'
	eioClose   = '1'
	eioPing    = '2'
	eioPong    = '3'
	eioMessage = '4'
)

// Socket.IO packet types.
const (
	sioConnect      = '0'
	sioDisconnect   = '1'
	sioEvent        = '2'
	sioAck          = '3'
	sioConnectError = '4'
)

// noAck is the ack id of a packet that carries none.
const noAck = -1

// sioPacket is a parsed Socket.IO packet; its slices alias the frame.
type sioPacket struct {
	typ  byte
	nsp  []byte // nil for the main namespace "/", which packets do not name
	id   int64  // noAck when absent
	data []byte // the JSON payload, possibly empty
}

// parseSIO parses a Socket.IO packet (an Engine.IO message without its leading '4'). It
// reports false for a packet this client cannot understand; binary packets (types 5
// and 6) are among them, as the chat contract never sends any to these clients.
func parseSIO(p []byte) (sioPacket, bool) {
	if len(p) == 0 || p[0] < sioConnect || p[0] > sioConnectError {
		return sioPacket{}, false
	}
	pkt := sioPacket{typ: p[0], id: noAck}
	rest := p[1:]
	if len(rest) > 0 && rest[0] == '/' {
		comma := bytes.IndexByte(rest, ',')
		if comma < 0 {
			// A namespace with no payload, as in "41/chat": legal, ends the packet.
			pkt.nsp = rest
			return pkt, true
		}
		pkt.nsp, rest = rest[:comma], rest[comma+1:]
	}
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	if digits > 0 {
		id, err := strconv.ParseInt(string(rest[:digits]), 10, 64)
		if err != nil {
			return sioPacket{}, false
		}
		pkt.id, rest = id, rest[digits:]
	}
	pkt.data = rest
	return pkt, true
}

// eventIs reports whether the event payload data (`["name",…]`) names the event name.
func eventIs(data []byte, name string) bool {
	return len(data) >= len(name)+3 && data[0] == '[' && data[1] == '"' &&
		string(data[2:2+len(name)]) == name && data[2+len(name)] == '"'
}

// Field keys for stringField: the bytes that precede a string value.
const (
	keyID      = `"id":"`
	keyContent = `"content":"`
	keyRoomID  = `"roomId":"`
	keyCode    = `"code":"`
)

// stringField returns the raw value of the first JSON string field whose key pattern
// (`"name":"`, see keyID…) occurs in data, without unescaping; ok is false when absent.
// It is meant for values that need no escaping — ids, room ids, the generator's own
// content — and a field of a nested object matches too, so callers search payloads
// whose shape they know.
func stringField(data []byte, key string) (val []byte, ok bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return nil, false
	}
	rest := data[i+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return nil, false
	}
	return rest[:end], true
}

// isErrorAck reports whether an ack payload is the contract's failure shape
// `[{"error":…}]`.
func isErrorAck(data []byte) bool {
	return bytes.HasPrefix(data, []byte(`[{"error"`))
}

// errorCode returns the "code" of an error ack or event, or "unknown".
func errorCode(data []byte) string {
	if code, ok := stringField(data, keyCode); ok {
		return string(code)
	}
	return "unknown"
}
