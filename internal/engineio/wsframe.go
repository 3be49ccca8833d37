package engineio

import "encoding/binary"

// WebSocket frame opcodes (RFC 6455 §5.2) of the frames the writer encodes itself.
const (
	wsOpText   = 0x1
	wsOpBinary = 0x2
	wsFin      = 0x80
)

// appendFrame appends p as one unfragmented, unmasked server frame: a text frame
// holding the packet type and data, or a binary frame holding a binary MESSAGE. The
// server never negotiates permessage-deflate, so frames are never compressed.
func appendFrame(dst []byte, p packet) []byte {
	if p.binary {
		dst = appendFrameHeader(dst, wsOpBinary, len(p.data))
		return append(dst, p.data...)
	}
	dst = appendFrameHeader(dst, wsOpText, 1+len(p.data))
	dst = append(dst, byte(p.typ))
	return append(dst, p.data...)
}

func appendFrameHeader(dst []byte, op byte, n int) []byte {
	dst = append(dst, wsFin|op)
	switch {
	case n < 126:
		return append(dst, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(dst, 126), uint16(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 127), uint64(n))
}

// frameLen is how many bytes appendFrame appends for p.
func frameLen(p packet) int {
	n := len(p.data)
	if !p.binary {
		n++
	}
	switch {
	case n < 126:
		return 2 + n
	case n <= 0xFFFF:
		return 4 + n
	}
	return 10 + n
}
