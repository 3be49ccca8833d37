package engineio

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// Engine.IO v4 packet wire layout:
//
//	<type byte><data>          a text packet: a WebSocket text frame, or one element of a
//	                           polling payload
//	b<base64 of data>          a binary MESSAGE inside a polling payload
//	<data>                     a binary MESSAGE as a WebSocket binary frame (no prefix)
//
// A polling payload joins packets with the record separator recordSep.

// packetType is the first byte of a text packet.
type packetType byte

const (
	packetOpen    packetType = '0'
	packetClose   packetType = '1'
	packetPing    packetType = '2'
	packetPong    packetType = '3'
	packetMessage packetType = '4'
	packetUpgrade packetType = '5'
	packetNoop    packetType = '6'
)

const (
	// binaryPrefix marks a base64-encoded binary MESSAGE in a polling payload.
	binaryPrefix = 'b'
	// recordSep separates the packets of a polling payload.
	recordSep = '\x1e'
)

// probe is the data of the PING and PONG that test a WebSocket during an upgrade.
const probe = "probe"

var (
	errEmptyPacket   = errors.New("empty packet")
	errUnknownPacket = errors.New("unknown packet type")
)

// packet is one decoded or to-be-encoded Engine.IO packet.
type packet struct {
	data   []byte
	typ    packetType
	binary bool // a binary MESSAGE; only meaningful when typ is packetMessage
}

// parseTextPacket decodes a text packet. data aliases b.
func parseTextPacket(b []byte) (packet, error) {
	if len(b) == 0 {
		return packet{}, errEmptyPacket
	}
	t := packetType(b[0])
	if t < packetOpen || t > packetNoop {
		return packet{}, errUnknownPacket
	}
	return packet{typ: t, data: b[1:]}, nil
}

// parsePayloadPacket decodes one element of a polling payload: a text packet, or a
// binary MESSAGE in base64, which is decoded into a new slice.
func parsePayloadPacket(b []byte) (packet, error) {
	if len(b) == 0 || b[0] != binaryPrefix {
		return parseTextPacket(b)
	}
	data := make([]byte, base64.StdEncoding.DecodedLen(len(b)-1))
	n, err := base64.StdEncoding.Decode(data, b[1:])
	if err != nil {
		return packet{}, fmt.Errorf("decode base64: %w", err)
	}
	return packet{typ: packetMessage, data: data[:n], binary: true}, nil
}

// encodedLen is the length of p inside a polling payload.
func (p packet) encodedLen() int {
	if p.binary {
		return 1 + base64.StdEncoding.EncodedLen(len(p.data))
	}
	return 1 + len(p.data)
}

// appendPacket appends p as a polling payload element.
func appendPacket(dst []byte, p packet) []byte {
	if !p.binary {
		dst = append(dst, byte(p.typ))
		return append(dst, p.data...)
	}
	dst = append(dst, binaryPrefix)
	return base64.StdEncoding.AppendEncode(dst, p.data)
}
