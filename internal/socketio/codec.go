package socketio

// The Socket.IO v5 packet codec, decoding half. It is pure: no goroutines, no I/O.
//
// Wire layout of one text packet (the Engine.IO "4" prefix is engineio's business):
//
//	<type>[<attachments>-][<nsp>,][<ack id>][<JSON data>]
//
//	type         one digit, 0 CONNECT … 6 BINARY_ACK
//	attachments  only for BINARY_EVENT and BINARY_ACK: how many binary messages follow
//	nsp          only when not "/": starts with '/', ends at ',' (or at the end)
//	ack id       decimal digits
//	data         JSON; its required shape depends on the type
//
// A binary packet is followed by exactly <attachments> binary messages, which its data
// refers to with {"_placeholder":true,"num":N} objects.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

type packetType byte

const (
	packetConnect      packetType = 0
	packetDisconnect   packetType = 1
	packetEvent        packetType = 2
	packetAck          packetType = 3
	packetConnectError packetType = 4
	packetBinaryEvent  packetType = 5
	packetBinaryAck    packetType = 6
)

// maxAckID is JavaScript's Number.MAX_SAFE_INTEGER: the client cannot produce more.
const maxAckID = 1<<53 - 1

// noAck is the ack id of a packet that carries none.
const noAck int64 = -1

var (
	errEmptyPacket     = errors.New("empty packet")
	errUnknownType     = errors.New("unknown packet type")
	errIllegalAttach   = errors.New("illegal attachments")
	errTooManyAttach   = errors.New("too many attachments")
	errIllegalAckID    = errors.New("illegal ack id")
	errInvalidPayload  = errors.New("invalid payload")
	errUnexpectedBytes = errors.New("binary message without a binary packet")
	errUnexpectedText  = errors.New("text message while binary attachments are pending")
)

// reservedEvents are the names socket.io-parser refuses as event names.
var reservedEvents = [...]string{
	"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
}

func isReservedEvent(name []byte) bool {
	for _, r := range reservedEvents {
		if string(name) == r {
			return true
		}
	}
	return false
}

// packet is one decoded packet. Its slices alias the decoded message.
type packet struct {
	typ packetType
	// nsp is the namespace name without the trailing comma; nil means "/".
	nsp []byte
	// id is the ack id, or noAck.
	id int64
	// attachments is the number of binary messages that follow a binary packet.
	attachments int
	// data is the raw JSON data, nil when the packet has none.
	data []byte
}

// namespace returns the packet's namespace name.
func (p *packet) namespace() string {
	if p.nsp == nil {
		return "/"
	}
	return string(p.nsp)
}

// inNamespace reports whether the packet is addressed to the namespace called name.
func (p *packet) inNamespace(name string) bool {
	if p.nsp == nil {
		return name == "/"
	}
	return string(p.nsp) == name
}

// decodePacket decodes one text message and checks it like socket.io-parser 4.2:
// the header must be well-formed and the data must have the shape its type requires.
func decodePacket(msg []byte, maxAttachments int) (packet, error) {
	if len(msg) == 0 {
		return packet{}, errEmptyPacket
	}
	if msg[0] < '0' || msg[0] > '6' {
		return packet{}, errUnknownType
	}
	p := packet{typ: packetType(msg[0] - '0'), id: noAck}
	rest := msg[1:]
	var err error
	if p.typ == packetBinaryEvent || p.typ == packetBinaryAck {
		if p.attachments, rest, err = decodeAttachments(rest, maxAttachments); err != nil {
			return packet{}, err
		}
	}
	p.nsp, rest = decodeNamespace(rest)
	if p.id, rest, err = decodeAckID(rest); err != nil {
		return packet{}, err
	}
	if len(rest) > 0 {
		p.data = rest
	}
	if err := validateData(p.typ, p.data); err != nil {
		return packet{}, err
	}
	return p, nil
}

// decodeAttachments reads "<n>-".
func decodeAttachments(b []byte, maxAttachments int) (int, []byte, error) {
	end := bytes.IndexByte(b, '-')
	if end <= 0 || end > 9 {
		return 0, nil, errIllegalAttach
	}
	n := 0
	for _, c := range b[:end] {
		if !isDigit(c) {
			return 0, nil, errIllegalAttach
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 {
		return 0, nil, errIllegalAttach
	}
	if n > maxAttachments {
		return 0, nil, errTooManyAttach
	}
	return n, b[end+1:], nil
}

// decodeNamespace reads "/name," or "/name" (when nothing follows).
func decodeNamespace(b []byte) ([]byte, []byte) {
	if len(b) == 0 || b[0] != '/' {
		return nil, b
	}
	end := bytes.IndexByte(b, ',')
	if end < 0 {
		return b, nil
	}
	return b[:end], b[end+1:]
}

// decodeAckID reads the optional decimal ack id.
func decodeAckID(b []byte) (int64, []byte, error) {
	n := 0
	for n < len(b) && isDigit(b[n]) {
		n++
	}
	if n == 0 {
		return noAck, b, nil
	}
	if n > 16 {
		return 0, nil, errIllegalAckID
	}
	var id int64
	for _, c := range b[:n] {
		id = id*10 + int64(c-'0')
	}
	if id > maxAckID {
		return 0, nil, errIllegalAckID
	}
	return id, b[n:], nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// validateData checks the JSON data against what the packet type requires.
func validateData(t packetType, data []byte) error {
	if data == nil {
		if t == packetConnect || t == packetDisconnect {
			return nil
		}
		return errInvalidPayload
	}
	if !json.Valid(data) {
		return errInvalidPayload
	}
	v := trimSpace(data)
	var ok bool
	switch t {
	case packetConnect:
		ok = v[0] == '{'
	case packetConnectError:
		ok = v[0] == '{' || v[0] == '"'
	case packetEvent, packetBinaryEvent:
		ok = validEventName(v)
	case packetAck, packetBinaryAck:
		ok = v[0] == '['
	}
	if !ok {
		return errInvalidPayload
	}
	return nil
}

// validEventName reports whether a valid JSON value is an array whose first element
// is a number or a string that is not a reserved event name.
func validEventName(v []byte) bool {
	if v[0] != '[' {
		return false
	}
	first := trimSpace(v[1:])
	switch {
	case first[0] == '"':
		name, err := eventName(first[:skipValue(first, 0)])
		return err == nil && !isReservedEvent(name)
	case first[0] == '-' || isDigit(first[0]):
		return true
	}
	return false
}

// eventName returns the text of a JSON string, unescaping it only when needed.
func eventName(quoted []byte) ([]byte, error) {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return nil, fmt.Errorf("decode event name: %w", err)
	}
	return []byte(s), nil
}
