package broker

import (
	"testing"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

func benchEnvelope() *envelope {
	return &envelope{
		origin: "node-0123456789abcdef", nsp: "/chat",
		opts: socketio.BroadcastOptions{Rooms: []socketio.Room{"room-general"}, ExceptSockets: []string{"sid-0123456789"}},
		msgs: []engineio.Message{{Data: make([]byte, 300)}},
	}
}

func BenchmarkAppendEnvelope(b *testing.B) {
	e := benchEnvelope()
	buf := make([]byte, 0, envelopeSize(e))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEnvelope(buf[:0], e)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeEnvelope(b *testing.B) {
	buf := appendEnvelope(nil, benchEnvelope())
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := decodeEnvelope(buf); err != nil {
			b.Fatal(err)
		}
	}
}
