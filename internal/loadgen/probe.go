package loadgen

import (
	"math"
	"strconv"
)

// A probe is what the fan-out publishers put in each message's content, so that every
// receiver can check and time a delivery without any state shared with the sender:
//
//	<room>.<publisher>.<seq>.<sent ns>.xxxxx…
//
// room and publisher are indexes in the run, seq counts the publisher's messages from
// 1, and sent is the send time — the scheduled one in an open loop — in nanoseconds
// since the run's clock origin. Padding with 'x' brings the content to the chosen size.
type probe struct {
	room, pub int
	seq       uint64
	sent      int64 // ns since the run's origin
}

// appendProbe appends the content for p, padded to size bytes.
func appendProbe(b []byte, p probe, size int) []byte {
	start := len(b)
	b = strconv.AppendInt(b, int64(p.room), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(p.pub), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, p.seq, 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, p.sent, 10)
	b = append(b, '.')
	for len(b)-start < size {
		b = append(b, 'x')
	}
	return b
}

// parseProbe parses the content written by appendProbe.
func parseProbe(content []byte) (probe, bool) {
	var fields [4]uint64
	rest := content
	for i := range fields {
		n, digits := 0, 0
		var v uint64
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			if digits == 19 {
				return probe{}, false // would overflow
			}
			v = v*10 + uint64(rest[n]-'0')
			n++
			digits++
		}
		if digits == 0 || n == len(rest) || rest[n] != '.' {
			return probe{}, false
		}
		fields[i], rest = v, rest[n+1:]
	}
	const maxIndex = 1 << 31
	if fields[0] >= maxIndex || fields[1] >= maxIndex || fields[3] > math.MaxInt64 {
		return probe{}, false
	}
	return probe{room: int(fields[0]), pub: int(fields[1]), seq: fields[2], sent: int64(fields[3])}, true
}
