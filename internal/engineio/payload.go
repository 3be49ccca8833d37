package engineio

import (
	"bytes"
	"fmt"
)

// encodePayload joins pkts into one polling response body, with recordSep between
// every two packets (binary ones included), in a single allocation.
func encodePayload(pkts []packet) []byte {
	n := len(pkts) - 1
	for _, p := range pkts {
		n += p.encodedLen()
	}
	if n <= 0 {
		return nil
	}
	out := make([]byte, 0, n)
	for i, p := range pkts {
		if i > 0 {
			out = append(out, recordSep)
		}
		out = appendPacket(out, p)
	}
	return out
}

// decodePayload splits a polling request body into packets. Text packets alias body.
// On a malformed packet it returns the packets before it along with the error, so
// that they are still delivered before the session is closed, as engine.io does.
func decodePayload(body []byte) ([]packet, error) {
	pkts := make([]packet, 0, bytes.Count(body, []byte{recordSep})+1)
	for i := 0; ; i++ {
		elem, rest, more := bytes.Cut(body, []byte{recordSep})
		p, err := parsePayloadPacket(elem)
		if err != nil {
			return pkts, fmt.Errorf("parse packet %d: %w", i, err)
		}
		pkts = append(pkts, p)
		if !more {
			return pkts, nil
		}
		body = rest
	}
}
