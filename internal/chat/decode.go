package chat

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The decoders below check JSON types exactly: a payload field is kept as
// json.RawMessage, its type is read from its first byte, and only then is it decoded.
// A missing field is a nil RawMessage; a JSON null is "null".

// jsonKind returns the first significant byte of raw, which names its JSON type:
// '"' string, '{' object, '[' array, 't'/'f' bool, 'n' null, '-' or a digit for a
// number; 0 when raw is empty.
func jsonKind(raw json.RawMessage) byte {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b
	}
	return 0
}

// absent reports whether an optional field was left out or set to null.
func absent(raw json.RawMessage) bool {
	k := jsonKind(raw)
	return k == 0 || k == 'n'
}

// decodeObject decodes raw into dst if raw is a JSON object.
func decodeObject(raw json.RawMessage, dst any) bool {
	return jsonKind(raw) == '{' && json.Unmarshal(raw, dst) == nil
}

// decodeString returns raw as a string if it is a JSON string. A string without escapes
// is sliced out directly: most are, and raw comes out of an already validated payload
// (json.Unmarshal still checks it when it does not).
//
// A string holding U+0000 is refused like a non-string: PostgreSQL text cannot store
// it, so accepting it would make the same message durable on SQLite and an error on
// PostgreSQL; no chat client needs it.
func decodeString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if body := raw[1 : len(raw)-1]; raw[len(raw)-1] == '"' && plainJSONString(body) {
		return string(body), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	return s, true
}

// plainJSONString reports whether b, the inside of a JSON string, needs no decoding: no
// escapes, no control characters, valid UTF-8.
func plainJSONString(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
	}
	return utf8.Valid(b)
}

// decodeBool returns raw as a bool if it is a JSON boolean.
func decodeBool(raw json.RawMessage) (bool, bool) {
	switch jsonKind(raw) {
	case 't', 'f':
		var b bool
		return b, json.Unmarshal(raw, &b) == nil
	}
	return false, false
}

// firstArg returns the first argument of an event, or nil when there is none.
func firstArg(args []json.RawMessage) json.RawMessage {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// roomIDField validates the roomId field of an object payload.
func roomIDField(raw json.RawMessage) (string, *Error) {
	room, ok := decodeString(raw)
	if !ok || !validRoomID(room) {
		return "", invalid(CodeInvalidRoom, "roomId must be 1-128 characters of A-Z a-z 0-9 _ - . : @")
	}
	return room, nil
}

// roomArg decodes the argument of joinRoom, leaveRoom and getRoomMembers: a room id
// string, or an object {roomId}.
func roomArg(raw json.RawMessage) (string, *Error) {
	if jsonKind(raw) == '{' {
		var p struct {
			RoomID json.RawMessage `json:"roomId"`
		}
		if json.Unmarshal(raw, &p) != nil {
			return roomIDField(nil)
		}
		raw = p.RoomID
	}
	return roomIDField(raw)
}
